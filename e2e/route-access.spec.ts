import { expect, request, test, type APIRequestContext, type APIResponse } from "@playwright/test";
import { ROUTE_RULES, ruleEntries, type HttpMethod } from "../lib/auth/route-rules";
import { serializeDecisionsSearchParams } from "../lib/search-params/decisions";
import { appRoutes } from "./support/app-routes";
import { ingestProbe, leakedValues, personalProbe, type PersonalProbe } from "./support/personal-probe";
import { demoCredentials, storageStateFor } from "./support/roles";
import { ALLOWED_ANSWERS, expectedAnswer, PRINCIPALS, signedInRole, type Answer, type Principal, type Samples } from "./support/route-matrix";

/**
 * The access matrix: EVERY route and method of ROUTE_RULES × every principal (anonymous, the
 * four roles, a deactivated user, a signed-out session), each with its exact expected answer
 * (e2e/support/route-matrix.ts). Every GET body, and every page's RSC payload, is searched
 * for the personal values of two probe decisions, which no one may see without a reveal.
 */
const routes = appRoutes();
const kindOf = new Map(routes.map((r) => [r.pattern, r.kind]));

test("every page and route handler has a rule in ROUTE_RULES", () => {
  const missing = routes.filter((r) => ROUTE_RULES[r.pattern] === undefined).map((r) => `${r.pattern} (${r.file})`);
  expect(missing, "Add a rule to lib/auth/route-rules.ts for each").toEqual([]);
  expect(Object.keys(ROUTE_RULES).filter((p) => !kindOf.has(p)), "Rules for routes that do not exist").toEqual([]);
});

test("every rule has its expected answer in the matrix, and the matrix names no other route", () => {
  const missing = Object.entries(ROUTE_RULES).flatMap(([pattern, rule]) =>
    ruleEntries(rule)
      .filter(({ method, access }) => access !== "api_key" && !ALLOWED_ANSWERS[pattern]?.[method])
      .map(({ method }) => `${method} ${pattern}`),
  );
  expect(missing, "Add the answer of an allowed request to ALLOWED_ANSWERS in e2e/support/route-matrix.ts").toEqual([]);
  const stale = Object.entries(ALLOWED_ANSWERS).flatMap(([pattern, methods]) =>
    Object.keys(methods).filter((method) => !ruleEntries(ROUTE_RULES[pattern] ?? {}).some((e) => e.method === method)).map((m) => `${m} ${pattern}`),
  );
  expect(stale, "Answers for routes or methods without a rule").toEqual([]);
});

function fillPattern(pattern: string, samples: Samples): string {
  const params: Record<string, string> = { nextauth: "session", id: samples.decisionId };
  if (pattern.startsWith("/integrity/runs/") || pattern.startsWith("/api/v1/integrity/runs/")) params.id = samples.runId;
  if (pattern.startsWith("/api/v1/evidence/exports/")) params.id = samples.exportId;
  return pattern
    .replace(/\/\[\[\.\.\.(\w+)\]\]/g, (_, name: string) => (params[name] ? `/${params[name]}` : ""))
    .replace(/\[(?:\.\.\.)?(\w+)\]/g, (_, name: string) => {
      const value = params[name];
      if (!value) throw new Error(`No sample value for [${name}] in ${pattern}`);
      return value;
    });
}

async function send(ctx: APIRequestContext, method: HttpMethod, url: string, headers: Record<string, string> = {}): Promise<APIResponse> {
  return ctx.fetch(url, {
    method,
    maxRedirects: 0,
    failOnStatusCode: false,
    headers: method === "GET" ? headers : { ...headers, "content-type": "application/json" },
    ...(method === "GET" ? {} : { data: "{}" }),
  });
}

function describeAnswer(res: APIResponse): string {
  const location = res.headers()["location"];
  return `${res.status()}${location ? ` → ${location}` : ""}`;
}

/** The error code of a JSON refusal, in either shape the app uses ({error: "x"} or {error: {code: "x"}}). */
function errorCodeOf(body: unknown): string | null {
  if (typeof body !== "object" || body === null || !("error" in body)) return null;
  const error = body.error;
  if (typeof error === "string") return error;
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") return error.code;
  return null;
}

async function expectAnswer(res: APIResponse, want: Answer, label: string): Promise<void> {
  const got = `${label}: got ${describeAnswer(res)}${want.why ? ` (expected because: ${want.why})` : ""}`;
  expect.soft(res.status(), got).toBe(want.status);
  if (want.location !== undefined) {
    const target = new URL(res.headers()["location"] ?? "", "http://x");
    expect.soft(target.pathname + target.search, `${got}: redirect target`).toBe(want.location);
  }
  if (want.errorCode !== undefined) {
    expect.soft(res.headers()["content-type"] ?? "", `${got}: a JSON refusal`).toContain("application/json");
    const body: unknown = await res.json().catch(() => null);
    expect.soft(errorCodeOf(body), `${got}: error code`).toBe(want.errorCode);
  }
}

/** Bodies that are text (HTML, JSON, RSC, plain): the personal values would be readable in them. */
async function expectNoPersonalValues(res: APIResponse, probe: PersonalProbe, label: string): Promise<string> {
  const type = res.headers()["content-type"] ?? "";
  if (!/text\/|json|x-component/.test(type)) return "";
  const body = await res.text();
  expect.soft(leakedValues(body, probe), `${label}: personal values in the body`).toEqual([]);
  return body;
}

/**
 * A page's RSC payload, fetched as client navigations do: header `RSC: 1` and the `?_rsc`
 * cache-busting parameter (the server first redirects to the URL with it, once).
 */
async function fetchRsc(ctx: APIRequestContext, url: string): Promise<APIResponse> {
  const res = await send(ctx, "GET", url, { RSC: "1" });
  const location = res.headers()["location"];
  if (res.status() !== 307 || !location) return res;
  const target = new URL(location, "http://x");
  const asked = new URL(url, "http://x");
  if (target.pathname !== asked.pathname || !target.searchParams.has("_rsc")) return res;
  return send(ctx, "GET", target.pathname + target.search, { RSC: "1" });
}

/** Control digests in an RSC payload: a redirect() or forbidden() the client router acts on. */
const RSC_REDIRECT = /"digest":"NEXT_REDIRECT;\w+;([^;"]*);(\d{3});"/;
const RSC_HTTP_ERROR = /"digest":"NEXT_HTTP_ERROR_FALLBACK;(\d{3})"/;

/**
 * The RSC payload answers as the page does and holds no personal value either. RSC requests
 * get 200 for every outcome: a redirect or a 403 travels as a digest inside the payload.
 */
async function checkRscPayload(ctx: APIRequestContext, url: string, want: Answer, probe: PersonalProbe, label: string): Promise<void> {
  const res = await fetchRsc(ctx, url);
  const rscLabel = `${label} [RSC]: got ${describeAnswer(res)}`;
  expect.soft(res.status(), rscLabel).toBe(200);
  expect.soft(res.headers()["content-type"] ?? "", `${rscLabel}: an RSC payload`).toContain("text/x-component");
  const body = await expectNoPersonalValues(res, probe, `${label} [RSC]`);
  const redirect = RSC_REDIRECT.exec(body);
  const httpError = RSC_HTTP_ERROR.exec(body);
  const outcome = redirect ? `redirect ${redirect[2]} ${redirect[1]}` : httpError ? `error ${httpError[1]}` : "page";
  const wanted = want.location !== undefined ? `redirect ${want.status} ${want.location}` : want.status === 200 ? "page" : `error ${want.status}`;
  expect.soft(outcome, `${rscLabel}: what the payload tells the router`).toBe(wanted);
}

/** Real ids for the dynamic segments: the probe decisions, a verification run, an admin's export. */
async function prepareSamples(baseURL: string, probe: PersonalProbe): Promise<Samples> {
  const { apiKey } = demoCredentials();
  if (!apiKey) throw new Error("The demo seed wrote no ingest API key");
  const anonymous = await request.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  const admin = await request.newContext({ baseURL, storageState: storageStateFor("admin") });
  try {
    await ingestProbe(anonymous, probe, apiKey);
    return { decisionId: probe.ids[0], runId: await sampleRun(admin), exportId: await sampleExport(admin, probe), exportOwner: "admin" };
  } finally {
    await anonymous.dispose();
    await admin.dispose();
  }
}

interface RunsBody {
  runs: { id: string }[];
}
interface RunBody {
  run: { id: string; finished: boolean };
}

/** The latest verification run, or a new one over the last minutes (finished before the walk, so it holds no one else up). */
async function sampleRun(admin: APIRequestContext): Promise<string> {
  const existing = ((await (await admin.get("/api/v1/integrity/runs?limit=1")).json()) as RunsBody).runs[0];
  if (existing) return existing.id;
  const now = Date.now();
  const res = await admin.post("/api/v1/integrity/runs", {
    data: { scope: "range", from: new Date(now - 10 * 60_000).toISOString(), to: new Date(now).toISOString() },
  });
  expect(res.status(), await res.text()).toBe(202);
  const { run } = (await res.json()) as RunBody;
  await expect
    .poll(async () => ((await (await admin.get(`/api/v1/integrity/runs/${run.id}`)).json()) as RunBody["run"]).finished, { timeout: 60_000 })
    .toBe(true);
  return run.id;
}

interface ExportBody {
  id: string;
  status: string;
}

/** A finished export of the admin's (an earlier one if there is, else one of the probe decisions). */
async function sampleExport(admin: APIRequestContext, probe: PersonalProbe): Promise<string> {
  const mine = ((await (await admin.get("/api/v1/evidence/exports")).json()) as { exports: ExportBody[] }).exports;
  const ready = mine.find((e) => e.status === "ready");
  if (ready) return ready.id;
  const res = await admin.post("/api/v1/evidence/exports", { data: { ids: probe.ids } });
  expect(res.status(), await res.text()).toBe(202);
  const { export: created } = (await res.json()) as { export: ExportBody };
  await expect
    .poll(async () => ((await (await admin.get(`/api/v1/evidence/exports/${created.id}`)).json()) as ExportBody).status, { timeout: 90_000 })
    .toBe("ready");
  return created.id;
}

/** Every rule and method, as this principal, with the exact expected answer. */
async function walkRules(ctx: APIRequestContext, principal: Principal, samples: Samples, probe: PersonalProbe): Promise<void> {
  for (const [pattern, rule] of Object.entries(ROUTE_RULES)) {
    const kind = kindOf.get(pattern) ?? (pattern.startsWith("/api/") ? "route" : "page");
    for (const { method, access } of ruleEntries(rule)) {
      const url = fillPattern(pattern, samples);
      const want = expectedAnswer({ pattern, method, access, kind, url }, principal, samples);
      const label = `${principal} ${method} ${url} (rule ${access})`;
      const res = await send(ctx, method, url);
      await expectAnswer(res, want, label);
      if (method !== "GET") continue;
      await expectNoPersonalValues(res, probe, label);
      if (kind === "page") await checkRscPayload(ctx, url, want, probe, label);
    }
  }
}

/** The probe decisions themselves: the list filtered to them and both detail pages, HTML and RSC. */
async function walkProbe(ctx: APIRequestContext, principal: Principal, probe: PersonalProbe): Promise<void> {
  const list = `/decisions${serializeDecisionsSearchParams({ session: probe.registration })}`;
  const pages = [list, ...probe.ids.map((id) => `/decisions/${id}`)];
  const canRead = signedInRole(principal) !== null;
  for (const url of pages) {
    const label = `${principal} GET ${url} (probe)`;
    const res = await send(ctx, "GET", url);
    const want: Answer = canRead ? { status: 200 } : { status: 307, location: `/sign-in?callbackUrl=${encodeURIComponent(url)}` };
    await expectAnswer(res, want, label);
    const body = await expectNoPersonalValues(res, probe, label);
    // Not vacuous: the filtered list does show both probe decisions.
    if (canRead && url === list) for (const id of probe.ids) expect.soft(body, `${label}: lists the probe decision ${id}`).toContain(`/decisions/${id}`);
    if (canRead && url !== list) expect.soft(body, `${label}: shows the probe decision`).toContain(probe.marker);
    await checkRscPayload(ctx, url, want, probe, label);
  }
  for (const id of probe.ids) {
    const url = `/api/v1/decisions/${id}/proof`;
    const res = await send(ctx, "GET", url);
    await expectAnswer(res, canRead ? { status: 200 } : { status: 401, errorCode: "unauthenticated" }, `${principal} GET ${url} (probe)`);
    await expectNoPersonalValues(res, probe, `${principal} GET ${url} (probe)`);
  }
}

test("every route × every principal answers exactly as the matrix says, and no body holds a personal value", async ({ baseURL }) => {
  test.setTimeout(300_000);
  const probe = personalProbe();
  const samples = await test.step("ingest the probe decisions; find or make a run and an export", () => prepareSamples(baseURL!, probe));
  for (const principal of PRINCIPALS) {
    await test.step(principal, async () => {
      // One request context per principal; its requests run one after another.
      const ctx = await request.newContext({
        baseURL,
        storageState: principal === "anonymous" ? { cookies: [], origins: [] } : storageStateFor(principal),
      });
      try {
        await walkRules(ctx, principal, samples, probe);
        await walkProbe(ctx, principal, probe);
      } finally {
        await ctx.dispose();
      }
    });
  }
});
