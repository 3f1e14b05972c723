"use client";

import Link from "next/link";
import { useId, useMemo, useState, useTransition, type FormEvent, type ReactNode } from "react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { controlClasses } from "@/components/ui/input";
import { PERSONAL_DATA_MASK } from "@/lib/ledger/xapi/personal-data";
import type { XapiActor, XapiStatement } from "@/lib/ledger/xapi/types";
import { EXT, ROLES } from "@/lib/ledger/xapi/vocabulary";
import { CommittedChip, CommittedText, committedAgentRef, describePointer } from "./committed-value";
import { IntegrityPanel } from "./integrity-panel";
import { formatLatency } from "./decision-badges";
import { checkOpenings, OpeningCheck, type RevealedOpening } from "./opening-check";

export type RevealActionResult =
  | {
      ok: true;
      format: 0 | 1;
      /** Format 0: the stored statement with its plaintext. Format 1: the server's opening of it (the page shows its own, checked). */
      statement: XapiStatement;
      canonical: string;
      pointers: string[];
      /** Format 1: what opens each commitment, for this browser to check. */
      openings: RevealedOpening[];
      accessEventId: string;
    }
  | { ok: false; message: string; fieldErrors: Record<string, string[]> };

export interface DecisionRecordProps {
  id: string;
  seq: number;
  leafHash: string;
  chainHash: string;
  /** 1: personal values are commitments; 0: legacy record (masked for display). */
  format: 0 | 1;
  /** Statement as the viewer may see it: format 1 as stored (commitments), format 0 masked unless there is no personal data. */
  statement: XapiStatement;
  /** Exact canonical text, or null when withheld (legacy record with personal data). */
  canonical: string | null;
  personalPointers: string[];
  /** "Personal data erased on … (request …)" when the subject's data key was destroyed; null otherwise. */
  erasure: string | null;
  canReveal: boolean;
  canSignCheckpoint: boolean;
  /** The list's query string, carried into links to other decisions. */
  listQuery: string;
  reveal: (input: { id: string; reason: string }) => Promise<RevealActionResult>;
  signCheckpoint: () => Promise<{ ok: true; treeSize: number } | { ok: false; message: string }>;
}

type Json = unknown;

function isRecord(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function ext(s: XapiStatement, key: string): Json {
  return s.context?.extensions?.[key];
}

/** A value as a non-engineer reads it: text plainly, numbers as numbers, masked and committed values marked. */
function Value({ value }: { value: Json }) {
  const agentRef = committedAgentRef(value);
  if (agentRef !== null) return <CommittedChip reference={agentRef} />;
  if (value === PERSONAL_DATA_MASK) {
    return (
      <span className="inline-flex items-center gap-1 rounded bg-slate-100 px-1.5 py-0.5 text-xs font-medium text-slate-700" data-testid="masked-value">
        Personal data (hidden)
      </span>
    );
  }
  if (value === null || value === undefined) return <span className="text-slate-600">—</span>;
  if (typeof value === "string") return <CommittedText text={value} />;
  if (typeof value === "number" || typeof value === "boolean") return <span className="font-mono">{String(value)}</span>;
  if (Array.isArray(value) && value.every((v) => typeof v !== "object" || v === null)) return <span>{value.map(String).join(", ")}</span>;
  if (isRecord(value)) {
    return (
      <dl className="grid grid-cols-[minmax(6rem,max-content)_1fr] gap-x-3 gap-y-0.5">
        {Object.entries(value).map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="text-slate-600">{k}</dt>
            <dd>
              <Value value={v} />
            </dd>
          </div>
        ))}
      </dl>
    );
  }
  return <pre className="overflow-x-auto rounded bg-slate-50 p-2 text-xs">{JSON.stringify(value, null, 2)}</pre>;
}

function Section({ title, description, children, testId }: { title: string; description?: string; children: ReactNode; testId?: string }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="rounded-lg border border-slate-200 bg-white shadow-xs" data-testid={testId}>
      <div className="border-b border-slate-200 px-5 py-3">
        <h2 id={id} className="text-base font-semibold text-slate-900">
          {title}
        </h2>
        {description ? <p className="mt-0.5 text-sm text-slate-600">{description}</p> : null}
      </div>
      <div className="px-5 py-4 text-sm text-slate-800">{children}</div>
    </section>
  );
}

function Rows({ rows }: { rows: [string, ReactNode][] }) {
  const shown = rows.filter(([, v]) => v !== null && v !== undefined && v !== false);
  if (shown.length === 0) return <p className="text-slate-600">Nothing recorded.</p>;
  return (
    <dl className="grid grid-cols-1 gap-x-6 gap-y-2 sm:grid-cols-[12rem_1fr]">
      {shown.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="font-medium text-slate-600">{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function agentLabel(a: XapiActor): ReactNode {
  const committedRef = committedAgentRef(a);
  if (committedRef !== null) return <CommittedChip reference={committedRef} />;
  const id = a.account ? `${a.account.name}` : (a.mbox ?? a.openid ?? a.mbox_sha1sum ?? null);
  return (
    <span>
      <Value value={a.name ?? null} />
      {id ? (
        <span className="ml-1 font-mono text-xs text-slate-600">
          (<Value value={id} />)
        </span>
      ) : null}
    </span>
  );
}

type Revealed = Extract<RevealActionResult, { ok: true }>;

/**
 * What the page shows after a reveal. A committed record is opened HERE, with the openings
 * that this browser checked against the commitments in the exact canonical text, so a value
 * that does not match is never shown as the record's. A legacy record's plaintext comes as
 * stored (its canonical text, now sent, is recomputed by the integrity panel).
 */
function useRevealedView(revealed: Revealed | null) {
  return useMemo(() => {
    if (!revealed) return null;
    if (revealed.format === 0) return { statement: revealed.statement, canonical: revealed.canonical, verdicts: null };
    const { verdicts, statement } = checkOpenings(revealed.canonical, revealed.openings);
    return { statement, canonical: revealed.canonical, verdicts };
  }, [revealed]);
}

/**
 * The body of a decision record: every section of the statement, the raw canonical text,
 * the in-browser integrity check and the reveal flow. Revealed values arrive from the
 * server action only after the reveal is logged; they live in this component's state (never
 * in the URL) and are gone on reload.
 */
export function DecisionRecord(props: DecisionRecordProps) {
  const [revealed, setRevealed] = useState<Revealed | null>(null);
  const revealedView = useRevealedView(revealed);
  const statement = revealedView?.statement ?? props.statement;
  const canonical = revealedView?.canonical ?? props.canonical;
  const hidden = props.personalPointers.length > 0 && !revealed;
  const s = statement;

  const features = ext(s, EXT.inputFeatures);
  const personalFeatures = new Set(Array.isArray(ext(s, EXT.personalFeatures)) ? (ext(s, EXT.personalFeatures) as string[]) : []);
  const tokens = ext(s, EXT.tokenUsage);
  const pipeline = ext(s, EXT.pipeline);
  const error = ext(s, EXT.error);
  const reviewers = (s.context?.contextAgents ?? []).filter(
    (ca) => ca.relevantTypes?.includes(ROLES.approver) || ca.relevantTypes?.includes(ROLES.overrider),
  );
  const advisors = (s.context?.contextAgents ?? []).filter((ca) => ca.relevantTypes?.includes(ROLES.advisor));
  const subjects = (s.context?.contextAgents ?? []).filter((ca) => ca.relevantTypes?.includes(ROLES.dataSubject));
  const resultExt = s.result?.extensions ?? {};
  // The raw section shows the stored record: its canonical text (with commitments, for format 1), never an opened copy.
  const storedText = props.canonical ?? canonical;
  const pretty = storedText !== null ? JSON.stringify(JSON.parse(storedText), null, 2) : JSON.stringify(statement, null, 2);

  return (
    <div className="space-y-4">
      {props.erasure !== null ? (
        <div data-testid="erasure-banner">
          <Alert tone="warning" title={props.erasure}>
            The key that opened this record&rsquo;s personal data was destroyed. The record itself is unchanged and still verifies; its personal values can
            no longer be read by anyone.
          </Alert>
        </div>
      ) : null}
      {props.personalPointers.length > 0 && props.erasure === null ? (
        <PersonalDataBanner
          format={props.format}
          pointers={props.personalPointers}
          canReveal={props.canReveal}
          revealed={revealed}
          reveal={async (reason) => {
            const r = await props.reveal({ id: props.id, reason });
            if (r.ok) setRevealed(r);
            return r;
          }}
        />
      ) : null}

      {revealedView?.verdicts ? <OpeningCheck verdicts={revealedView.verdicts} /> : null}

      <IntegrityPanel
        id={props.id}
        seq={props.seq}
        leafHash={props.leafHash}
        chainHash={props.chainHash}
        canonical={canonical}
        committed={props.format === 1}
        canSignCheckpoint={props.canSignCheckpoint}
        signCheckpoint={props.signCheckpoint}
      />

      <Section title="Inputs" description="What the model saw: the features it was given and references to the full input and prompt." testId="section-inputs">
        {isRecord(features) ? (
          <table className="mb-4 min-w-full text-sm">
            <caption className="sr-only">Input features</caption>
            <thead>
              <tr className="text-left text-xs text-slate-600 uppercase">
                <th scope="col" className="py-1 pr-4 font-semibold">
                  Feature
                </th>
                <th scope="col" className="py-1 pr-4 font-semibold">
                  Value
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {Object.entries(features).map(([name, v]) => (
                <tr key={name}>
                  <th scope="row" className="py-1 pr-4 text-left font-mono text-xs font-normal">
                    {name}
                    {personalFeatures.has(name) ? (
                      <Badge tone="warning" className="ml-2">
                        personal
                      </Badge>
                    ) : null}
                  </th>
                  <td className="py-1 pr-4">
                    <Value value={v} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <Rows
          rows={[
            ["Input reference", ext(s, EXT.inputRef) !== undefined ? <Value value={ext(s, EXT.inputRef)} /> : null],
            ["Prompt template", ext(s, EXT.promptRef) !== undefined ? <Value value={ext(s, EXT.promptRef)} /> : null],
            ["About (subject)", ext(s, EXT.subject) !== undefined ? <Value value={ext(s, EXT.subject)} /> : null],
            ["Data subject", subjects.length > 0 ? <span>{subjects.map((ca, i) => <span key={i}>{agentLabel(ca.agent)}</span>)}</span> : null],
          ]}
        />
      </Section>

      <Section title="Output and reason" description="What was decided and why, as recorded." testId="section-output">
        <Rows
          rows={[
            ["Reason", s.result?.response !== undefined ? <Value value={s.result.response} /> : null],
            ["Outcome", resultExt[EXT.outcome] !== undefined ? <Value value={resultExt[EXT.outcome]} /> : null],
            ["AI proposed", resultExt[EXT.aiOutcome] !== undefined ? <Value value={resultExt[EXT.aiOutcome]} /> : null],
            ["Favourable to the subject", s.result?.success !== undefined ? (s.result.success ? "Yes" : "No") : null],
            ["Confidence", s.result?.score?.scaled !== undefined ? <Value value={s.result.score.scaled} /> : null],
            ["Model output", ext(s, EXT.output) !== undefined ? <Value value={ext(s, EXT.output)} /> : null],
          ]}
        />
      </Section>

      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <Section title="Model and parameters" testId="section-model">
          <Rows
            rows={[
              ["Model", ext(s, EXT.model) !== undefined ? <Value value={ext(s, EXT.model)} /> : null],
              ["Parameters", ext(s, EXT.parameters) !== undefined ? <Value value={ext(s, EXT.parameters)} /> : null],
              ["AI advisor", advisors.length > 0 ? <span>{advisors.map((ca, i) => <span key={i}>{agentLabel(ca.agent)}</span>)}</span> : null],
              ["Platform", s.context?.platform ?? null],
            ]}
          />
        </Section>
        <Section title="Timing and token usage" testId="section-timing">
          <Rows
            rows={[
              ["Latency", typeof ext(s, EXT.latencyMs) === "number" ? formatLatency(ext(s, EXT.latencyMs) as number) : null],
              ["Tokens", isRecord(tokens) ? <Value value={tokens} /> : null],
              ["Duration (xAPI)", s.result?.duration ?? null],
            ]}
          />
        </Section>
      </div>

      <Section title="Human review" description="Whether a person approved or replaced the AI's decision, and who." testId="section-review">
        {reviewers.length === 0 ? (
          <p className="text-slate-600">No person reviewed this decision before it took effect.</p>
        ) : (
          <ul className="space-y-1">
            {reviewers.map((ca, i) => (
              <li key={i}>
                <span className="font-medium">{ca.relevantTypes?.includes(ROLES.overrider) ? "Overridden by " : "Approved by "}</span>
                {agentLabel(ca.agent)} <span className="text-slate-600">at the decision time</span>
              </li>
            ))}
          </ul>
        )}
        {s.context?.statement ? (
          <p className="mt-2">
            This decision refers to an earlier record:{" "}
            <Link className="font-mono text-sky-800 underline" href={`/decisions/${s.context.statement.id}${props.listQuery}`} prefetch={false}>
              {s.context.statement.id}
            </Link>
          </p>
        ) : null}
      </Section>

      <Section title="Pipeline steps and errors" testId="section-pipeline">
        {Array.isArray(pipeline) && pipeline.length > 0 ? (
          <ol className="space-y-1">
            {pipeline.map((step, i) => {
              const st = isRecord(step) ? step : {};
              const ok = st.status === "ok";
              return (
                <li key={i} className="flex flex-wrap items-center gap-2">
                  <Badge tone={ok ? "success" : "danger"}>{String(st.status ?? "?")}</Badge>
                  <span className="font-mono text-xs">{String(st.step ?? `step ${i + 1}`)}</span>
                  {typeof st.ms === "number" ? <span className="text-slate-600">{formatLatency(st.ms)}</span> : null}
                </li>
              );
            })}
          </ol>
        ) : (
          <p className="text-slate-600">No pipeline steps recorded.</p>
        )}
        {error !== undefined && error !== null && error !== false ? (
          <Alert tone="error" title="The pipeline reported an error" className="mt-3">
            <Value value={error} />
          </Alert>
        ) : null}
      </Section>

      <Section
        title="Raw stored record"
        description={
          props.format === 1 && canonical !== null
            ? "The exact canonical JSON (RFC 8785) that was hashed into the ledger, shown indented. Copy gives the exact bytes. Personal values are in it only as commitments (pd:v1:…), never as the values."
            : canonical !== null
              ? "The exact canonical JSON (RFC 8785) that was hashed into the ledger, shown indented. Copy gives the exact bytes."
              : "Shown with personal data hidden. The exact canonical text is withheld because it contains personal data; reveal it to see and copy it."
        }
        testId="section-raw"
      >
        <div className="mb-2 flex flex-wrap gap-2">
          {storedText !== null ? <CopyButton value={storedText} label="Copy canonical text" /> : <CopyButton value={pretty} label="Copy masked JSON" />}
        </div>
        <pre className="max-h-[32rem] overflow-auto rounded-md bg-slate-900 p-4 text-xs leading-relaxed text-slate-100" tabIndex={0} aria-label="Stored statement">
          {pretty}
        </pre>
        {props.format === 1 && props.personalPointers.length > 0 ? (
          <p className="mt-2 text-xs text-slate-600" data-testid="committed-fields">
            Committed fields: {props.personalPointers.map(describePointer).join("; ")}
          </p>
        ) : hidden ? (
          <p className="mt-2 text-xs text-slate-600">Hidden fields: {props.personalPointers.map(describePointer).join("; ")}</p>
        ) : null}
      </Section>
    </div>
  );
}

function PersonalDataBanner({
  format,
  pointers,
  canReveal,
  revealed,
  reveal,
}: {
  format: 0 | 1;
  pointers: string[];
  canReveal: boolean;
  revealed: Extract<RevealActionResult, { ok: true }> | null;
  reveal: (reason: string) => Promise<RevealActionResult>;
}) {
  const [open, setOpen] = useState(false);
  const [pending, startTransition] = useTransition();
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const fieldId = useId();

  if (revealed) {
    return (
      <Alert tone="info" title="Personal data revealed">
        The {pointers.length} personal {pointers.length === 1 ? "field is" : "fields are"} shown below. Your reason was recorded in the access log. They will be
        hidden again when you leave or reload this page.
      </Alert>
    );
  }
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const reason = String(new FormData(e.currentTarget).get("reason") ?? "");
    startTransition(async () => {
      const r = await reveal(reason);
      setErrors(r.ok ? {} : { reason: r.fieldErrors.reason ?? [], form: r.fieldErrors.reason ? [] : [r.message] });
    });
  };
  const reasonErrors = errors.reason ?? [];
  return (
    <div className="rounded-lg border border-amber-300 bg-amber-50 px-5 py-4 text-sm text-amber-950" data-testid="personal-data-banner">
      <p className="font-semibold">
        {pointers.length} personal data {pointers.length === 1 ? "field is" : "fields are"} {format === 1 ? "committed" : "hidden"}
      </p>
      {format === 1 ? (
        <p className="mt-1">
          The record holds a commitment in place of each value; the values are kept encrypted outside the ledger, so this record can be checked in full
          without them.
        </p>
      ) : null}
      {canReveal ? (
        <>
          <p className="mt-1">You may reveal them when your work requires it. You will be asked why; the reason is written to the access log.</p>
          {!open ? (
            <Button className="mt-3" variant="secondary" size="sm" onClick={() => setOpen(true)} aria-expanded={false}>
              Reveal personal data…
            </Button>
          ) : (
            <form onSubmit={onSubmit} className="mt-3 space-y-2" aria-label="Reveal personal data">
              <label htmlFor={fieldId} className="block font-medium">
                Why do you need to see this person’s data?
              </label>
              <textarea
                id={fieldId}
                name="reason"
                required
                maxLength={500}
                rows={3}
                className={controlClasses}
                aria-describedby={`${fieldId}-hint${reasonErrors.length ? ` ${fieldId}-error` : ""}`}
                aria-invalid={reasonErrors.length > 0 || undefined}
                placeholder="e.g. Complaint CASE-2291: applicant disputes the denial"
              />
              <p id={`${fieldId}-hint`} className="text-xs">
                At least 10 characters. Recorded with your name and the time.
              </p>
              {reasonErrors.length > 0 ? (
                <p id={`${fieldId}-error`} className="text-red-800">
                  {reasonErrors.join(" ")}
                </p>
              ) : null}
              {(errors.form ?? []).length > 0 ? (
                <p className="text-red-800" role="alert">
                  {(errors.form ?? []).join(" ")}
                </p>
              ) : null}
              <div className="flex gap-2">
                <Button type="submit" size="sm" disabled={pending}>
                  {pending ? "Revealing…" : "Reveal and log"}
                </Button>
                <Button variant="ghost" size="sm" onClick={() => setOpen(false)}>
                  Cancel
                </Button>
              </div>
            </form>
          )}
        </>
      ) : (
        <p className="mt-1">Your role cannot reveal personal data. Ask a compliance officer if a case requires it.</p>
      )}
    </div>
  );
}
