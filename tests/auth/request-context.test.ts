import { describe, expect, test } from "vitest";
import { clientInfoFromHeaders } from "@/lib/auth/request-context";

describe("client address for the access log and the throttle", () => {
  test("uses the rightmost X-Forwarded-For entry (the one the proxy added), normalised", () => {
    expect(clientInfoFromHeaders(new Headers({ "x-forwarded-for": "6.6.6.6, 203.0.113.7" })).ip).toBe("203.0.113.7");
    expect(clientInfoFromHeaders(new Headers({ "x-forwarded-for": "::ffff:127.0.0.1" })).ip).toBe("127.0.0.1");
    expect(clientInfoFromHeaders(new Headers({ "x-forwarded-for": "2001:db8::1" })).ip).toBe("2001:db8::1");
  });

  test("falls back to X-Real-IP, then to nothing", () => {
    expect(clientInfoFromHeaders(new Headers({ "x-real-ip": "198.51.100.2" })).ip).toBe("198.51.100.2");
    expect(clientInfoFromHeaders(new Headers({})).ip).toBeNull();
  });

  test("keeps the user agent, bounded", () => {
    const info = clientInfoFromHeaders(new Headers({ "user-agent": "x".repeat(2000) }));
    expect(info.userAgent).toHaveLength(512);
  });
});
