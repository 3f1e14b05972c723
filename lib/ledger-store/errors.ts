import "server-only";
/** One problem with one submitted item, named by its batch index and RFC 6901 JSON pointer. */
export interface ItemError {
  index: number;
  pointer: string;
  message: string;
}

/** The batch was refused as a whole because of invalid items; nothing was stored. */
export class LedgerInputError extends Error {
  readonly status = 400;
  constructor(readonly errors: ItemError[]) {
    super(`${errors.length} problem(s) in the submitted statements; nothing was stored`);
    this.name = "LedgerInputError";
  }
}

/** A statement id already exists with different content; nothing was stored. */
export class LedgerConflictError extends Error {
  readonly status = 409;
  constructor(readonly errors: ItemError[]) {
    super(`${errors.length} statement id(s) already stored with different content; nothing was stored`);
    this.name = "LedgerConflictError";
  }
}
