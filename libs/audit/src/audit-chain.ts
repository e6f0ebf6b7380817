import { Client } from 'pg';
import { AuditChainResult } from './audit.types';

const PLATFORM = '00000000-0000-0000-0000-000000000000';

/**
 * Re-walks one tenant's chains as an operator (owner role) — one per lane (see migration
 * 20261123000031-audit-lanes): each row's hash must equal the hash recomputed by the
 * database's own `audit_hash`, link to the previous row's hash in its lane, and sequence
 * numbers must be gapless within the lane. Reports the first broken link.
 */
export async function verifyAuditChain(
  ownerUrl: string,
  tenantId: string | null,
  batch = 2000,
): Promise<AuditChainResult> {
  const client = new Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rows: lanes } = await client.query<{ lane: number }>(
      `select distinct lane from audit_events where coalesce(tenant_id, $1::uuid) = $2::uuid order by lane`,
      [PLATFORM, tenantId ?? PLATFORM],
    );
    let checked = 0;
    for (const { lane } of lanes) {
      const r = await verifyLane(client, tenantId, lane, batch);
      checked += r.checked;
      if (!r.ok)
        return { tenantId, checked, lanes: lanes.length, ok: false, firstBroken: r.firstBroken };
    }
    return { tenantId, checked, lanes: lanes.length, ok: true };
  } finally {
    await client.end();
  }
}

async function verifyLane(
  client: Client,
  tenantId: string | null,
  lane: number,
  batch: number,
): Promise<{ ok: boolean; checked: number; firstBroken?: AuditChainResult['firstBroken'] }> {
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
        ok: false,
        firstBroken: { lane, seq, id: r.id, problem },
      });
      if (seq !== lastSeq + 1)
        return {
          checked,
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
  return { checked, ok: true };
}
