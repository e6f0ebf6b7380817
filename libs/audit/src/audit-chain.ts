import { Client } from 'pg';
import { AuditChainResult } from './audit.types';

const PLATFORM = '00000000-0000-0000-0000-000000000000';

/**
 * Re-walks one tenant's chains as an operator (owner role) — one per lane (see migration
 * 20261123000031-audit-lanes): each row's hash must equal the hash recomputed by the
 * database's own `audit_hash`, link to the previous row's hash in its lane, and sequence
 * numbers must be gapless within the lane, and the lane must end where its recorded head
 * (`audit_chain_heads`, moved by every append) says — so rows deleted from the end of a lane,
 * or a whole lane, are caught too. Reports the first broken link.
 */
export async function verifyAuditChain(
  ownerUrl: string,
  tenantId: string | null,
  batch = 2000,
): Promise<AuditChainResult> {
  const client = new Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    // One snapshot for the heads and every row: appends commit their rows and their lane's
    // head together, so a verify running while the trail is written sees both or neither.
    // (Statements in autocommit each saw a newer trail than the heads read first, and
    // reported rows appended meanwhile as "not written by audit_append".)
    await client.query('begin isolation level repeatable read read only');
    const { rows: heads } = await client.query<{ lane: number; seq: string; hash: string | null }>(
      `select lane, seq, hash from audit_chain_heads where chain_key = $1::uuid`,
      [tenantId ?? PLATFORM],
    );
    const { rows: written } = await client.query<{ lane: number }>(
      `select distinct lane from audit_events where coalesce(tenant_id, $1::uuid) = $2::uuid`,
      [PLATFORM, tenantId ?? PLATFORM],
    );
    const lanes = [...new Set([...heads.map((h) => h.lane), ...written.map((w) => w.lane)])]
      .sort((a, b) => a - b)
      .map((lane) => ({ lane }));
    let checked = 0;
    for (const { lane } of lanes) {
      const r = await verifyLane(client, tenantId, lane, batch);
      checked += r.checked;
      if (!r.ok)
        return { tenantId, checked, lanes: lanes.length, ok: false, firstBroken: r.firstBroken };
      const head = heads.find((h) => h.lane === lane);
      const headSeq = head ? Number(head.seq) : 0;
      if (headSeq !== r.lastSeq || (head?.hash ?? null) !== r.lastHash) {
        const problem =
          headSeq > r.lastSeq
            ? `rows ${r.lastSeq + 1}–${headSeq} are missing (the lane's recorded head is row ${headSeq})`
            : `rows after ${headSeq} were not written by audit_append (the lane's recorded head is row ${headSeq})`;
        return {
          tenantId,
          checked,
          lanes: lanes.length,
          ok: false,
          firstBroken: { lane, seq: Math.min(headSeq, r.lastSeq) + 1, id: null, problem },
        };
      }
    }
    return { tenantId, checked, lanes: lanes.length, ok: true };
  } finally {
    await client.query('rollback').catch(() => undefined);
    await client.end();
  }
}

async function verifyLane(
  client: Client,
  tenantId: string | null,
  lane: number,
  batch: number,
): Promise<{
  ok: boolean;
  checked: number;
  lastSeq: number;
  lastHash: string | null;
  firstBroken?: AuditChainResult['firstBroken'];
}> {
  let lastSeq = 0;
  let lastHash: string | null = null;
  let checked = 0;
  for (;;) {
    const { rows } = await client.query<{
      id: string;
      seq: string;
      prev_hash: string | null;
      hash: string;
      expected: string;
    }>(
      `select a.id, a.seq, a.prev_hash, a.hash, audit_hash(a) as expected from audit_events a
         where coalesce(a.tenant_id, $1::uuid) = $2::uuid and a.lane = $5 and a.seq > $3 order by a.seq limit $4`,
      [PLATFORM, tenantId ?? PLATFORM, lastSeq, batch, lane],
    );
    if (!rows.length) break;
    for (const r of rows) {
      const seq = Number(r.seq);
      const broken = (problem: string) => ({
        checked,
        lastSeq,
        lastHash,
        ok: false,
        firstBroken: { lane, seq, id: r.id, problem },
      });
      if (seq !== lastSeq + 1)
        return {
          checked,
          lastSeq,
          lastHash,
          ok: false,
          firstBroken: {
            lane,
            seq: lastSeq + 1,
            id: null,
            problem: `row ${lastSeq + 1} is missing`,
          },
        };
      if ((r.prev_hash ?? null) !== lastHash)
        return broken('prev_hash does not match the previous row');
      if (r.hash !== r.expected) return broken('row content does not match its hash');
      lastSeq = seq;
      lastHash = r.hash;
      checked++;
    }
  }
  return { checked, lastSeq, lastHash, ok: true };
}
