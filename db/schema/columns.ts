import { customType } from "drizzle-orm/pg-core";

/** Raw hash bytes. Both drivers hand back a Uint8Array (postgres.js a Buffer subclass of it). */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType() {
    return "bytea";
  },
  // postgres.js binds Buffers as bytea; PGlite accepts any Uint8Array, Buffers included.
  toDriver(value) {
    return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  },
});
