import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { portableBytesBackend } from "@/lib/hash/browser-sha256";
import { nodeBinaryBackend, nodeBytesBackend } from "@/lib/hash/node-sha256";
import { fromHex, toHex } from "@/lib/ledger/bytes";
import { PROFILE_EXAMPLES } from "@/lib/ledger/profile-examples";
import {
  commitmentAgent,
  commitPersonalValue,
  commitValue,
  formatCommitmentString,
  isCommitmentAgent,
  newCommitmentRef,
  newSalt,
  parseCommitmentAgent,
  parseCommitmentString,
  PD_ACCOUNT_HOME_PAGE,
  PD_COMMITMENT_DOMAIN,
  PD_COMMITMENT_VERSION,
  PD_STRING_PREFIX,
  verifyOpening,
  type RandomBytes,
} from "@/lib/ledger/xapi/pd-commitment";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import { validateStatement } from "@/lib/ledger/xapi/validate";
import { ROLES } from "@/lib/ledger/xapi/vocabulary";

const DOC = readFileSync(path.resolve(__dirname, "../../docs/decision-profile.md"), "utf8");
const secureRandom: RandomBytes = (n) => new Uint8Array(randomBytes(n));
const saltFrom = (first: number) => Uint8Array.from({ length: 32 }, (_, i) => first + i);

/**
 * The worked examples of docs/decision-profile.md §15.7. `jcs` is written out by hand (not
 * produced by canonicalize) so the independent hashes below share no code with the module.
 */
const VECTORS = {
  response: {
    value: PROFILE_EXAMPLES.clinicalTriageAiAssisted.result!.response!,
    jcs: '"Chest pain with diaphoresis and borderline hypotension; ECG within 10 minutes"',
    salt: saltFrom(0x00),
    ref: "7d3f1c2a-9b4e-4f6a-8c1d-2e5b7a9f0c3e",
    hex: "c7e8cb2a673c03a52d21a8156a589e8a84b955ee8b0da41a61d7bde3c4c697a0",
  },
  agent: {
    value: { objectType: "Agent", name: "Ana Ruiz", mbox: "mailto:ana.ruiz@mail.example" },
    jcs: '{"mbox":"mailto:ana.ruiz@mail.example","name":"Ana Ruiz","objectType":"Agent"}',
    salt: saltFrom(0x20),
    ref: "1b9e6f04-3c2d-4a8b-9e71-5f0a2c4d6b88",
    hex: "2c353a4104a3c2c84017424c89322c8e82509d3cd77145c28a32885b7233e0e0",
  },
} as const;

/** The §15.1 preimage assembled independently: label, 0x00, salt, JCS bytes. */
function preimage(salt: Uint8Array, jcs: string): Buffer {
  return Buffer.concat([Buffer.from(PD_COMMITMENT_DOMAIN, "ascii"), Buffer.from([0]), salt, Buffer.from(jcs, "utf8")]);
}

function commandWorks(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: "ignore" }).status === 0;
}
const hasSha256sum = commandWorks("sha256sum", ["--version"]);
const hasShellRecipeTools = hasSha256sum && commandWorks("sh", ["-c", "printf 00 | xxd -r -p"]);

const tempDir = mkdtempSync(path.join(tmpdir(), "pd-commitment-"));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

describe("known-answer vectors (docs/decision-profile.md §15.7)", () => {
  for (const [name, v] of Object.entries(VECTORS)) {
    describe(name, () => {
      test("the module computes the documented commitment on every backend", () => {
        expect(toHex(commitValue(nodeBytesBackend, v.value, v.salt))).toBe(v.hex);
        expect(toHex(commitValue(portableBytesBackend, v.value, v.salt))).toBe(v.hex);
        expect(toHex(commitValue(nodeBinaryBackend, v.value, v.salt))).toBe(v.hex);
      });

      test("node:crypto over the hand-assembled bytes agrees", () => {
        expect(createHash("sha256").update(preimage(v.salt, v.jcs)).digest("hex")).toBe(v.hex);
      });

      test.skipIf(!hasSha256sum)("sha256sum over those exact bytes in a file agrees", () => {
        const file = path.join(tempDir, `${name}.bin`);
        writeFileSync(file, preimage(v.salt, v.jcs));
        expect(execFileSync("sha256sum", [file], { encoding: "utf8" })).toBe(`${v.hex}  ${file}\n`);
      });

      test("the documented string and Agent forms carry it", () => {
        const text = formatCommitmentString(v.ref, fromHex(v.hex));
        expect(text).toBe(`pd:v1:${v.ref}:${v.hex}`);
        if (name === "response") expect(DOC).toContain(`"response": "${text}"`);
        else expect(DOC).toContain(`"name": "${v.ref}:${v.hex}"`);
      });
    });
  }

  test.skipIf(!hasShellRecipeTools)("each documented shell recipe prints its documented output, which is the vector", () => {
    const recipes = [
      ...DOC.matchAll(/<!-- pd-commitment-recipe: (\w+) -->\n```sh\n([\s\S]*?)\n```\n\nOutput:\n\n```text\n([\s\S]*?)\n```/g),
    ];
    expect(recipes.map((m) => m[1]).sort()).toEqual(Object.keys(VECTORS).sort());
    for (const [, name, script, output] of recipes) {
      expect(execFileSync("sh", ["-c", script!], { encoding: "utf8" }), name).toBe(`${output}\n`);
      expect(output).toBe(`${VECTORS[name as keyof typeof VECTORS].hex}  -`);
    }
  });
});

describe("commitValue", () => {
  test("JCS normalises: member order, number spelling and string escapes do not change the commitment", () => {
    const salt = newSalt(secureRandom);
    const commit = (value: unknown) => toHex(commitValue(nodeBytesBackend, value, salt));
    expect(commit({ b: 1, a: 2 })).toBe(commit({ a: 2, b: 1 }));
    expect(commit(JSON.parse('{"n": 1.0e0, "s": "\\u00e9"}'))).toBe(commit({ s: "é", n: 1 }));
    expect(commit("1")).not.toBe(commit(1));
    expect(commit(null)).not.toBe(commit("null"));
  });

  test("refuses a salt of the wrong length and a value without a canonical form", () => {
    expect(() => commitValue(nodeBytesBackend, "x", new Uint8Array(31))).toThrow(TypeError);
    expect(() => commitValue(nodeBytesBackend, "x", new Uint8Array(33))).toThrow(TypeError);
    expect(() => commitValue(nodeBytesBackend, Number.NaN, new Uint8Array(32))).toThrow(/not valid JSON/);
    expect(() => commitValue(nodeBytesBackend, undefined, new Uint8Array(32))).toThrow(/not valid JSON/);
  });
});

describe("random salts and references", () => {
  test("salts are fresh 32-byte copies; a short source is refused", () => {
    const shared = new Uint8Array(32).fill(7);
    const salt = newSalt(() => shared);
    shared.fill(0);
    expect(salt).toEqual(new Uint8Array(32).fill(7));
    expect(() => newSalt((n) => new Uint8Array(n - 1))).toThrow(TypeError);
    expect(toHex(newSalt(secureRandom))).not.toBe(toHex(newSalt(secureRandom)));
  });

  test("references are lowercase UUID v4 whatever the random bytes", () => {
    expect(newCommitmentRef((n) => new Uint8Array(n))).toBe("00000000-0000-4000-8000-000000000000");
    expect(newCommitmentRef((n) => new Uint8Array(n).fill(0xff))).toBe("ffffffff-ffff-4fff-bfff-ffffffffffff");
    const ref = newCommitmentRef(secureRandom);
    expect(parseCommitmentString(`pd:v1:${ref}:${"0".repeat(64)}`)?.ref).toBe(ref);
    expect(() => newCommitmentRef(() => new Uint8Array(15))).toThrow(TypeError);
  });

  test("commitPersonalValue: fresh salt and reference every time, and the opening opens it", () => {
    const value = { email: "ana.ruiz@mail.example" };
    const a = commitPersonalValue(nodeBytesBackend, secureRandom, value);
    const b = commitPersonalValue(nodeBytesBackend, secureRandom, value);
    expect(a.ref).not.toBe(b.ref);
    expect(toHex(a.commitment)).not.toBe(toHex(b.commitment));
    expect(verifyOpening(nodeBytesBackend, a.commitment, a.opening)).toBe(true);
    expect(verifyOpening(nodeBytesBackend, formatCommitmentString(b.ref, b.commitment), b.opening)).toBe(true);
    expect(verifyOpening(nodeBytesBackend, a.commitment, b.opening)).toBe(false);
  });
});

const REF = VECTORS.response.ref;
const HEX = VECTORS.response.hex;

describe("string form", () => {
  test("constants name version 1", () => {
    expect(PD_COMMITMENT_VERSION).toBe(1);
    expect(PD_STRING_PREFIX).toBe("pd:v1:");
    expect(PD_COMMITMENT_DOMAIN.endsWith("/v1")).toBe(true);
    expect(PD_ACCOUNT_HOME_PAGE.endsWith("/v1")).toBe(true);
  });

  test("round-trips", () => {
    const text = formatCommitmentString(REF, fromHex(HEX));
    expect(text).toHaveLength(107);
    const parsed = parseCommitmentString(text);
    expect(parsed?.ref).toBe(REF);
    expect(toHex(parsed!.commitment)).toBe(HEX);
  });

  const malformed: [string, unknown][] = [
    ["wrong version", `pd:v2:${REF}:${HEX}`],
    ["no version", `pd:${REF}:${HEX}`],
    ["uppercase prefix", `PD:v1:${REF}:${HEX}`],
    ["uppercase commitment hex", `pd:v1:${REF}:${HEX.toUpperCase()}`],
    ["uppercase reference", `pd:v1:${REF.toUpperCase()}:${HEX}`],
    ["commitment too short", `pd:v1:${REF}:${HEX.slice(2)}`],
    ["commitment too long", `pd:v1:${REF}:${HEX}00`],
    ["odd-length commitment", `pd:v1:${REF}:${HEX}0`],
    ["non-hex digit", `pd:v1:${REF}:${HEX.slice(0, -1)}g`],
    ["reference too short", `pd:v1:${REF.slice(1)}:${HEX}`],
    ["reference without dashes", `pd:v1:${REF.replaceAll("-", "")}:${HEX}`],
    ["reference not version 4", `pd:v1:${REF.slice(0, 14)}1${REF.slice(15)}:${HEX}`],
    ["reference with another variant", `pd:v1:${REF.slice(0, 19)}c${REF.slice(20)}:${HEX}`],
    ["braced reference", `pd:v1:{${REF}}:${HEX}`],
    ["extra colon at the end", `pd:v1:${REF}:${HEX}:`],
    ["extra part", `pd:v1:${REF}:${HEX}:${HEX}`],
    ["doubled colon", `pd:v1:${REF}::${HEX}`],
    ["missing commitment", `pd:v1:${REF}`],
    ["missing reference", `pd:v1:${HEX}`],
    ["leading space", ` pd:v1:${REF}:${HEX}`],
    ["trailing newline", `pd:v1:${REF}:${HEX}\n`],
    ["account-name form without prefix", `${REF}:${HEX}`],
    ["empty", ""],
    ["not a string", { ref: REF, commitment: HEX }],
  ];
  test.each(malformed)("refuses %s", (_what, text) => {
    expect(parseCommitmentString(text)).toBeNull();
  });

  test("the writer refuses what the reader would refuse", () => {
    expect(() => formatCommitmentString(REF.toUpperCase(), fromHex(HEX))).toThrow(TypeError);
    expect(() => formatCommitmentString("not-a-uuid", fromHex(HEX))).toThrow(TypeError);
    expect(() => formatCommitmentString(REF, fromHex(HEX).subarray(1))).toThrow(TypeError);
    expect(() => commitmentAgent(REF, new Uint8Array(33))).toThrow(TypeError);
  });
});

describe("Agent form", () => {
  const commitment = fromHex(HEX);
  const agent = commitmentAgent(REF, commitment);

  test("is an Agent whose only property besides objectType is the account", () => {
    expect(agent).toEqual({ objectType: "Agent", account: { homePage: PD_ACCOUNT_HOME_PAGE, name: `${REF}:${HEX}` } });
    expect(commitmentAgent(REF, commitment, "Group")).toEqual({ ...agent, objectType: "Group" });
    const parsed = parseCommitmentAgent(agent);
    expect(parsed?.ref).toBe(REF);
    expect(toHex(parsed!.commitment)).toBe(HEX);
    expect(isCommitmentAgent(commitmentAgent(REF, commitment, "Group"))).toBe(true);
  });

  const account = agent.account!;
  const malformed: [string, unknown][] = [
    ["an extra name", { ...agent, name: "Ana Ruiz" }],
    ["a second IFI", { ...agent, mbox: "mailto:ana.ruiz@mail.example" }],
    ["members", { ...agent, objectType: "Group", member: [] }],
    ["no objectType", { account }],
    ["another objectType", { ...agent, objectType: "Person" }],
    ["another home page", { ...agent, account: { ...account, homePage: "https://decision-ledger.dev/xapi/pd/v2" } }],
    ["an extra account property", { ...agent, account: { ...account, extra: 1 } }],
    ["the string form as account name", { ...agent, account: { ...account, name: `pd:v1:${REF}:${HEX}` } }],
    ["uppercase hex in the account name", { ...agent, account: { ...account, name: `${REF}:${HEX.toUpperCase()}` } }],
    ["a numeric account name", { ...agent, account: { ...account, name: 42 } }],
    ["an account that is not an object", { ...agent, account: `${REF}:${HEX}` }],
    ["an array", [agent]],
    ["a string", `pd:v1:${REF}:${HEX}`],
  ];
  test.each(malformed)("refuses %s", (_what, value) => {
    expect(parseCommitmentAgent(value)).toBeNull();
    expect(isCommitmentAgent(value)).toBe(false);
  });

  /** Example A with `edit` applied: every Agent position a commitment may take. */
  function statementWith(edit: (s: XapiStatement) => void): XapiStatement {
    const s = structuredClone(PROFILE_EXAMPLES.loanDenialHumanApproved);
    edit(s);
    return s;
  }

  const positions: [string, XapiStatement][] = [
    ["the object (an Agent)", statementWith((s) => void (s.object = commitmentAgent(REF, commitment)))],
    ["the object (a Group)", statementWith((s) => void (s.object = commitmentAgent(REF, commitment, "Group")))],
    [
      "a data-subject context agent",
      statementWith((s) => s.context!.contextAgents!.push({ objectType: "contextAgent", agent, relevantTypes: [ROLES.dataSubject] })),
    ],
    ["the instructor", statementWith((s) => void (s.context!.instructor = agent))],
    ["a team member", statementWith((s) => void (s.context!.team = { objectType: "Group", member: [agent] }))],
  ];
  test.each(positions)("is valid xAPI as %s (validateStatement)", (_where, statement) => {
    const result = validateStatement(JSON.parse(JSON.stringify(statement)));
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  test("the string form is valid where the field is a free string or an extension value", () => {
    const text = formatCommitmentString(REF, commitment);
    const statement = statementWith((s) => {
      s.result!.response = text;
      s.context!.extensions![Object.keys(s.context!.extensions!)[0]!] = text;
    });
    const result = validateStatement(JSON.parse(JSON.stringify(statement)));
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});

describe("verifyOpening", () => {
  const v = VECTORS.agent;
  const commitment = fromHex(v.hex);
  const text = formatCommitmentString(v.ref, commitment);
  const opening = { value: v.value, salt: v.salt };

  test("accepts the opening, from bytes, the string form and the Agent form's commitment", () => {
    expect(verifyOpening(nodeBytesBackend, commitment, opening)).toBe(true);
    expect(verifyOpening(portableBytesBackend, text, opening)).toBe(true);
    expect(verifyOpening(nodeBinaryBackend, parseCommitmentAgent(commitmentAgent(v.ref, commitment))!.commitment, opening)).toBe(true);
    // The same JSON with members in another order is the same opening.
    expect(verifyOpening(nodeBytesBackend, text, { value: JSON.parse(v.jcs), salt: v.salt })).toBe(true);
  });

  test("a value changed by one byte fails", () => {
    const changed = { ...v.value, mbox: "mailto:ana.ruiz@mail.examplf" };
    expect(verifyOpening(nodeBytesBackend, text, { value: changed, salt: v.salt })).toBe(false);
    expect(verifyOpening(nodeBytesBackend, text, { value: { ...v.value, name: "Ana ruiz" }, salt: v.salt })).toBe(false);
    expect(verifyOpening(nodeBytesBackend, text, { value: v.jcs, salt: v.salt })).toBe(false); // the JSON text as a string is another value
  });

  test("a salt changed by one byte, or another salt, fails", () => {
    for (const i of [0, 17, 31]) {
      const salt = new Uint8Array(v.salt);
      salt[i] = salt[i]! ^ 0x01;
      expect(verifyOpening(nodeBytesBackend, text, { value: v.value, salt })).toBe(false);
    }
    expect(verifyOpening(nodeBytesBackend, text, { value: v.value, salt: VECTORS.response.salt })).toBe(false);
    expect(verifyOpening(nodeBytesBackend, text, { value: v.value, salt: newSalt(secureRandom) })).toBe(false);
  });

  test("a commitment changed by one byte fails", () => {
    for (const i of [0, 31]) {
      const other = new Uint8Array(commitment);
      other[i] = other[i]! ^ 0x80;
      expect(verifyOpening(nodeBytesBackend, other, opening)).toBe(false);
      expect(verifyOpening(nodeBytesBackend, formatCommitmentString(v.ref, other), opening)).toBe(false);
    }
  });

  test("malformed input is false, never an exception", () => {
    const bad: [Uint8Array | string, unknown][] = [
      [text.toUpperCase(), opening],
      [v.hex, opening], // bare hex is not the string form
      [commitment.subarray(0, 31), opening],
      [new Uint8Array(0), opening],
      [text, { value: v.value, salt: v.salt.subarray(1) }],
      [text, { value: v.value, salt: "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f" }],
      [text, { value: Number.NaN, salt: v.salt }],
      [text, { value: undefined, salt: v.salt }],
      [text, { salt: v.salt }],
      [text, null],
    ];
    for (const [c, o] of bad) expect(verifyOpening(nodeBytesBackend, c, o as never)).toBe(false);
  });
});
