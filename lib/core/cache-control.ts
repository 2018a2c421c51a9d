/**
 * How long, in milliseconds, a response may be reused according to its `Cache-Control`
 * header (RFC 9111 §5.2.2): `max-age=N` gives N seconds; `no-store` or `no-cache` give 0
 * (reuse only after revalidating); `undefined` when the header says nothing about
 * freshness (absent, or no usable directive), so the caller's default applies. A
 * malformed `max-age` (not a non-negative integer) is ignored, as RFC 9111 §4.2.1 asks.
 *
 * @example
 * maxAgeFromCacheControl('max-age=300, must-revalidate') // 300000 (what ZITADEL sends for its JWKS)
 * maxAgeFromCacheControl('no-store') // 0
 * maxAgeFromCacheControl(null) // undefined
 */
export function maxAgeFromCacheControl(header: string | null | undefined): number | undefined {
  if (!header) return undefined;
  let maxAge: number | undefined;
  for (const part of header.split(',')) {
    const [rawName, ...rest] = part.split('=');
    const name = rawName!.trim().toLowerCase();
    if (name === 'no-store' || name === 'no-cache') return 0;
    if (name !== 'max-age' || rest.length !== 1) continue;
    const value = rest[0]!.trim().replace(/^"(.*)"$/, '$1');
    if (/^\d{1,10}$/.test(value)) maxAge ??= Number(value) * 1000;
  }
  return maxAge;
}
