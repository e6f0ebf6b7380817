import { Migration } from '@mikro-orm/migrations';
import { OWNER_ROLE } from '../roles';

/**
 * The head of every audit chain lane in a table of its own. audit_append found a lane's
 * previous row with `order by seq desc limit 1` on audit_events; under FORCE ROW LEVEL
 * SECURITY the planner does not use the chain index's order for it (the policy is a
 * security barrier): it read the whole lane and sorted it, so every audited action got
 * slower as the trail grew (measured: 170 µs per append at 1k rows, 550 µs at 30k; the
 * token endpoint fell from ~1,370/s to ~790/s over three bench rounds). Now an append locks
 * its lane's head row (`for update`, replacing the advisory lock: the next append to the
 * lane waits for this transaction, as before), writes the row and moves the head — constant
 * work whatever the size of the trail. The chain itself is unchanged (same rows, seq and
 * hashes; `audit verify` as before), and the unique (chain, lane, seq) index stays as a net.
 *
 * Only the owner reaches the table (audit_append is security definer); the application
 * role has no privilege on it.
 */
export class Migration20261123000060AuditChainHeads extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table audit_chain_heads (
      chain_key uuid not null,
      lane smallint not null check (lane between 0 and 255),
      seq bigint not null,
      hash text,
      primary key (chain_key, lane)
    ) with (fillfactor = 50)`);
    this.addSql(`alter table audit_chain_heads enable row level security`);
    this.addSql(`alter table audit_chain_heads force row level security`);
    this.addSql(`create policy audit_chain_heads_owner on audit_chain_heads to ${OWNER_ROLE} using (true) with check (true)`);
    // The heads of the lanes written so far: each lane's last row.
    this.addSql(`insert into audit_chain_heads (chain_key, lane, seq, hash)
      select distinct on (k, lane) k, lane, seq, hash
      from (select coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid) as k, lane, seq, hash from audit_events) a
      order by k, lane, seq desc`);
    this.addSql(`create or replace function audit_append(e jsonb) returns uuid language plpgsql security definer
      set search_path = public, pg_temp as $$
      declare
        r audit_events;
        v_current uuid := app_current_tenant();
        v_key uuid;
      begin
        r.tenant_id := nullif(e->>'tenant_id', '')::uuid;
        if v_current is not null and r.tenant_id is distinct from v_current then
          raise exception 'audit row for another tenant' using errcode = '42501';
        end if;
        v_key := coalesce(r.tenant_id, '00000000-0000-0000-0000-000000000000'::uuid);
        r.lane := abs(hashtextextended(txid_current()::text, 0) % audit_lanes());
        -- The lane's head row, locked until commit: the next append to this lane waits here.
        select h.seq, h.hash into r.seq, r.prev_hash from audit_chain_heads h
          where h.chain_key = v_key and h.lane = r.lane for update;
        if not found then
          insert into audit_chain_heads (chain_key, lane, seq, hash) values (v_key, r.lane, 0, null)
            on conflict (chain_key, lane) do nothing;
          select h.seq, h.hash into r.seq, r.prev_hash from audit_chain_heads h
            where h.chain_key = v_key and h.lane = r.lane for update;
        end if;
        r.seq := r.seq + 1;
        r.id := gen_random_uuid();
        r.occurred_at := date_trunc('microseconds', clock_timestamp());
        r.actor_type := coalesce(e->>'actor_type', 'anonymous');
        r.actor_id := e->>'actor_id';
        r.credential_type := e->>'credential_type';
        r.credential_id := e->>'credential_id';
        r.credential_test := coalesce((e->>'credential_test')::boolean, false);
        r.action := e->>'action';
        r.target_type := e->>'target_type';
        r.target_id := e->>'target_id';
        r.route := e->>'route';
        r.method := e->>'method';
        r.ip := nullif(e->>'ip', '')::inet;
        r.user_agent := left(e->>'user_agent', 512);
        r.request_id := e->>'request_id';
        r.params := coalesce(e->'params', '{}'::jsonb);
        r.risk_tier := (e->>'risk_tier')::smallint;
        r.decision := coalesce(e->>'decision', 'allow');
        r.outcome := coalesce(e->>'outcome', 'success');
        r.reason := e->>'reason';
        r.hash := audit_hash(r);
        insert into audit_events select r.*;
        update audit_chain_heads set seq = r.seq, hash = r.hash where chain_key = v_key and lane = r.lane;
        return r.id;
      end $$`);
  }
}
