import { randomUUID } from "node:crypto";
import { expect, type APIRequestContext } from "@playwright/test";
import { PROFILE_EXAMPLES } from "../../lib/ledger/profile-examples";
import type { XapiContextAgent, XapiStatement } from "../../lib/ledger/xapi/types";
import { EXT, ROLES as CONTEXT_ROLES } from "../../lib/ledger/xapi/vocabulary";

/**
 * Two decisions that carry distinctive personal values, to prove no page or route body shows
 * them to anyone without a reveal: a human actor with a name and mbox, an e-mail address as
 * the entity id, an Agent object with an mbox, a named human reviewer, a subject reference.
 * Every value contains the same random token, which appears nowhere else; the decisions are
 * found again by their (non-personal) registration.
 */
export interface PersonalProbe {
  token: string;
  registration: string;
  /** A non-personal text in both records' reason, to see that a page does show them. */
  marker: string;
  statements: [XapiStatement, XapiStatement];
  /** The statements' ids, which are the decision ids. */
  ids: [string, string];
  /** Each personal value as submitted, by what it is. */
  values: Record<string, string>;
}

const LOAN_SYSTEM = "https://ai.northwind-bank.example/systems/loan-underwriting";
const BANK_STAFF = "https://staff.northwind-bank.example/directory";

function reviewer(token: string): XapiContextAgent {
  return {
    objectType: "contextAgent",
    agent: { objectType: "Agent", name: `Rowan Reviewer ${token}`, account: { homePage: BANK_STAFF, name: "staff-0777" } },
    relevantTypes: [CONTEXT_ROLES.approver],
  };
}

/** A fresh loan example, decided a minute ago in the probe's registration, without the example's subject. */
function baseStatement(registration: string, marker: string): XapiStatement {
  const statement = structuredClone(PROFILE_EXAMPLES.loanDenialHumanApproved);
  statement.id = randomUUID();
  statement.timestamp = new Date(Date.now() - 60_000).toISOString();
  statement.result = { ...statement.result, response: marker };
  const context = statement.context!;
  context.registration = registration;
  const extensions = { ...context.extensions };
  delete extensions[EXT.subject];
  delete extensions[EXT.personalFeatures];
  delete extensions[EXT.inputFeatures];
  context.extensions = extensions;
  return statement;
}

export function personalProbe(): PersonalProbe {
  // Letters and digits only: the token survives HTML and JSON escaping unchanged.
  const token = `pv${randomUUID().replace(/-/g, "").slice(0, 14)}`;
  const registration = randomUUID();
  const marker = `Access matrix probe ${registration.slice(0, 8)}`;
  const values = {
    "actor name": `Harriet Actor ${token}`,
    "actor mbox": `harriet.${token}@actor.example`,
    "e-mail entity id": `cust-email-${token}@person.example`,
    "Agent object mbox": `${token}@subject.example`,
    "Agent object name": `Sam Subject ${token}`,
    "reviewer name": `Rowan Reviewer ${token}`,
    "subject reference": `subject-ref-${token}`,
  };

  // A human decides about a customer account whose id is an e-mail address, advised by the AI.
  const byHuman = baseStatement(registration, marker);
  byHuman.actor = { objectType: "Agent", name: values["actor name"], mbox: `mailto:${values["actor mbox"]}` };
  byHuman.object = {
    objectType: "Activity",
    id: `https://accounts.northwind-bank.example/customers/probe-${registration.slice(0, 8)}`,
    definition: {
      type: "https://decision-ledger.dev/xapi/activity-types/customer-account",
      name: { en: `Customer account probe-${registration.slice(0, 8)}` },
      extensions: { [EXT.entity]: { type: "customer-account", id: values["e-mail entity id"] } },
    },
  };
  byHuman.context!.contextAgents = [
    {
      objectType: "contextAgent",
      agent: { objectType: "Agent", name: "Loan Underwriting Assistant", account: { homePage: LOAN_SYSTEM, name: "credit-risk@3.2.0" } },
      relevantTypes: [CONTEXT_ROLES.advisor],
    },
    reviewer(token),
  ];
  byHuman.context!.extensions = { ...byHuman.context!.extensions, [EXT.subject]: { ref: values["subject reference"] } };

  // The AI decides about a person given as an Agent object; a named human approves.
  const aboutAgent = baseStatement(registration, marker);
  aboutAgent.object = { objectType: "Agent", name: values["Agent object name"], mbox: `mailto:${values["Agent object mbox"]}` };
  aboutAgent.context!.contextAgents = [reviewer(token)];

  return { token, registration, marker, statements: [byHuman, aboutAgent], ids: [byHuman.id!, aboutAgent.id!], values };
}

/** Stores the probe's decisions through the ingest API with the demo API key. */
export async function ingestProbe(request: APIRequestContext, probe: PersonalProbe, apiKey: string): Promise<void> {
  const res = await request.post("/api/v1/decisions", {
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    data: JSON.stringify(probe.statements),
    failOnStatusCode: false,
  });
  expect(res.status(), `ingest of the personal-value probe: ${await res.text()}`).toBe(201);
}

/** The names of the probe's personal values that occur in `body` ("token" for any other trace of one). */
export function leakedValues(body: string, probe: PersonalProbe): string[] {
  const leaked = Object.entries(probe.values)
    .filter(([, value]) => body.includes(value))
    .map(([name]) => name);
  if (leaked.length === 0 && body.includes(probe.token)) leaked.push("token");
  return leaked;
}
