import { sha256 } from "@noble/hashes/sha2.js";
import { bytesBackend, logHasher, type Hash, type LogHasher, type Sha256Backend } from "../ledger/hasher";

// SHA-256 for code that also runs in a page (the integrity panel, the bundle verifier):
// @noble/hashes, audited and synchronous, so the core's hasher stays synchronous too (WebCrypto
// digests are async). Works the same under Node, which is how the CLI and tests use it.

export const portableBytesBackend: Sha256Backend<Hash> = bytesBackend((data) => sha256(data));

/** The ledger hasher on a pure-JS SHA-256: the same hashes as nodeHasher, anywhere. */
export const portableHasher: LogHasher<Hash> = logHasher(portableBytesBackend);
