/**
 * Token buckets in the GCRA form (generic cell rate algorithm): one number per bucket, the
 * "theoretical arrival time" (TAT). A bucket of `burst` tokens refills at `perMinute`; a
 * request is let through when the bucket has a token. Several buckets are checked together
 * and consumed only if every one of them allows the request (a refusal by the tenant's
 * bucket does not spend the key's).
 */
export interface BucketPolicy {
  /** Sustained rate. */
  perMinute: number;
  /** Bucket size: the most requests let through at once from a full bucket. */
  burst: number;
}

export interface BucketState {
  /** Tokens left after this request (or now, when it was refused). */
  remaining: number;
  /** Milliseconds until this bucket is full again. */
  resetMs: number;
  /** Milliseconds until this bucket has a token again (0 when it has one). */
  retryMs: number;
}

export interface BucketDecision {
  allowed: boolean;
  states: BucketState[];
}

export const intervalMs = (p: BucketPolicy) => 60_000 / p.perMinute;

/**
 * The same algorithm as a Lua script, atomic in Redis across every instance. Time comes
 * from Redis (`TIME`), so instances with skewed clocks agree. ARGV[1] is the number of
 * buckets n; KEYS[1..n] are the buckets and ARGV holds, per bucket, its interval (ms per
 * token) and burst. Any further KEYS are read (GET) when the request is allowed and
 * returned after the buckets: the keys the route's handler needs (read-ahead), so they
 * cost no round trip of their own. Returns allowed, then per bucket remaining, reset ms,
 * retry ms, then the values read (nil for a missing key).
 */
export const GCRA_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = tonumber(ARGV[1])
local allowed = 1
local tats = {}
local out = {}
for i = 1, n do
  local interval = tonumber(ARGV[2 * i])
  local tau = interval * tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  tats[i] = tat
  if tat + interval - tau > now then allowed = 0 end
end
for i = 1, n do
  local interval = tonumber(ARGV[2 * i])
  local tau = interval * tonumber(ARGV[2 * i + 1])
  local tat = tats[i]
  local retry = tat + interval - tau - now
  if retry < 0 then retry = 0 end
  if allowed == 1 then
    tat = tat + interval
    redis.call('SET', KEYS[i], string.format('%.3f', tat), 'PX', math.max(1, math.ceil(tat - now)))
  end
  local remaining = math.floor((now + tau - tat) / interval)
  if remaining < 0 then remaining = 0 end
  out[#out + 1] = remaining
  out[#out + 1] = math.ceil(tat - now)
  out[#out + 1] = math.ceil(retry)
end
table.insert(out, 1, allowed)
if allowed == 1 then
  -- GET gives false (not nil) for a missing key: the array keeps its length, the client gets null.
  for i = n + 1, #KEYS do out[#out + 1] = redis.call('GET', KEYS[i]) end
end
return out`;

/** The same in process, for the embedded default (one instance, nothing shared). */
export class MemoryBuckets {
  private readonly tats = new Map<string, number>();

  take(keys: string[], policies: BucketPolicy[], now = Date.now()): BucketDecision {
    if (this.tats.size > 100_000) for (const [k, v] of this.tats) if (v < now) this.tats.delete(k);
    const tats = keys.map((k) => Math.max(this.tats.get(k) ?? 0, now));
    const allowed = policies.every((p, i) => tats[i]! + intervalMs(p) - intervalMs(p) * p.burst <= now);
    const states = policies.map((p, i) => {
      const interval = intervalMs(p);
      const tau = interval * p.burst;
      let tat = tats[i]!;
      const retryMs = Math.max(0, Math.ceil(tat + interval - tau - now));
      if (allowed) {
        tat += interval;
        this.tats.set(keys[i]!, tat);
      }
      return { remaining: Math.max(0, Math.floor((now + tau - tat) / interval)), resetMs: Math.ceil(tat - now), retryMs };
    });
    return { allowed, states };
  }
}
