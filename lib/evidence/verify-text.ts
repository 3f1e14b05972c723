// VERIFY.txt of an evidence bundle. Every line starting with "  $ " is a shell command that
// tests/evidence run verbatim (bash, in the extracted bundle), so what we tell a recipient
// to type is known to work.

import { BUNDLE_FILES as F } from "./bundle-format";

export function renderVerifyText(o: {
  deployment: string;
  checkpointOrigin: string;
  verifierKey: string;
  treeSize: number;
  rootHash: string;
  recordCount: number;
  firstRecord: { seq: number; id: string; leafHash: string } | null;
}): string {
  const first = o.firstRecord;
  return `HOW TO VERIFY THIS EVIDENCE BUNDLE
==================================

This bundle holds ${o.recordCount.toLocaleString("en-US")} decision record(s) from the Decision Ledger "${o.deployment}",
with a proof that each one is part of the ledger as signed in checkpoint
${o.checkpointOrigin} at ${o.treeSize.toLocaleString("en-US")} records (root hash ${o.rootHash}).

The verifier key the bundle was signed with is:

    ${o.verifierKey}

It is also in ${F.verifierKey} (C2SP format) and ${F.keyPem} (PEM, for openssl).
A key that travels inside the bundle proves nothing by itself: compare it with the key the
ledger's operator gave you, or with the one the ledger's dashboard publishes without sign-in
at /api/v1/verifier-key (and its latest checkpoints at /api/v1/checkpoints/latest).


1. THE COMPLETE CHECK (recommended)
-----------------------------------
With Node.js 20 or later and a checkout of Decision Ledger (no database or server needed):

    npx decision-ledger verify bundle.zip --key '${o.verifierKey}'

or open the dashboard's "Verify a bundle" page and choose the .zip: it is checked entirely in
your browser and nothing is uploaded. Both check every file hash, recompute every record's
leaf hash from its exact bytes, verify every Merkle inclusion proof against the signed
checkpoint, the checkpoint's signature, the consistency proofs to earlier checkpoints and
the export receipt, and name any record that fails (position and id).


2. WITH STANDARD TOOLS (sha256sum, openssl 3, sed)
--------------------------------------------------
Unzip the bundle and run these commands in the folder it created (bash).

a) Every file is intact (prints "OK" per file):

  $ sha256sum -c ${F.sha256sums}

b) The checkpoint is signed by the key in ${F.keyPem} (prints "Signature Verified Successfully"):

  $ openssl pkeyutl -verify -pubin -inkey ${F.keyPem} -rawin -in ${F.checkpointMessage} -sigfile ${F.checkpointSignature}

   ${F.checkpointMessage} is the signed text of ${F.checkpointNote} and ${F.checkpointSignature} the raw
   64-byte Ed25519 signature from its signature line (after the 4-byte key id). To confirm the
   message is the start of the note (prints nothing when it is):

  $ cmp ${F.checkpointMessage} <(head -c "$(wc -c < ${F.checkpointMessage})" ${F.checkpointNote})

   Its third line is the root hash (base64) that every inclusion proof leads to:

  $ sed -n 3p ${F.checkpointMessage}

c) A record's leaf hash is SHA-256 of a zero byte followed by its exact stored bytes (RFC 9162).
   Each line of ${F.records} is {"seq":…,"id":…,"leafHash":…,"statement":<those bytes verbatim>}.
${
  first
    ? `   For the first record (position ${first.seq}, id ${first.id}) this prints
   ${first.leafHash}:

  $ { printf '\\000'; LC_ALL=C sed -n 1p ${F.records} | LC_ALL=C sed -E 's/^[{]"seq":[0-9]+,"id":"[0-9a-f-]+","leafHash":"[0-9a-f]{64}","statement":(.*)[}]$/\\1/' | tr -d '\\n'; } | sha256sum
`
    : "   (This bundle holds no records.)\n"
}
   Records store commitments (pd:v1:…) in place of personal data, so their bytes are complete
   even when personal data is left out. Only records stored before personal data was
   committed are masked when it is left out: they carry a "withheld" list and a masked copy,
   their contents are withheld and only their leaf hash's inclusion is proven.
   When personal data is included, ${F.openings} holds one line per disclosed value
   ({"recordId","ref","pointer","value","salt"}): SHA-256 of
   "decision-ledger/personal-data-commitment/v1", a 0x00 byte, the salt (base64-decoded) and
   the value's RFC 8785 bytes equals the commitment at that pointer in the record.

d) Inclusion proofs: each line of ${F.proofs} carries, in "tlogProof", a proof in the
   c2sp.org/tlog-proof@v1 format (index, Merkle path from the leaf to the root, and the signed
   checkpoint), which any C2SP-compatible tool can check. Extract one with jq, for example:

      jq -r 'select(.seq == ${first ? first.seq : 0}) | .tlogProof' ${F.proofs}

e) ${F.consistency} holds earlier signed checkpoints of the same log with a consistency
   proof to this one: if you kept one of them from an earlier bundle or from the published
   checkpoint address, it shows this checkpoint extends it (no history was rewritten).

f) ${F.receipt} is this export's own entry in the ledger's access log (who exported what,
   with the SHA-256 of ${F.manifest}) plus its inclusion proof in a signed checkpoint of the
   access log. It ties the manifest (selection, counts, file hashes) to the ledger; a bundle
   without it is reported as unauthenticated. The manifest's hash, to compare with
   "manifestSha256" in the receipt's entry:

  $ sha256sum ${F.manifest}
`;
}
