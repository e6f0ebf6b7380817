import { Writable } from 'node:stream';
import { createLogger } from './logger';
import { accessLineWriter } from './http-hooks';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, stream };
}

describe('access line', () => {
  it('is the JSON pino itself writes for the same fields, hostile strings escaped', async () => {
    const { lines, stream } = capture();
    const logger = createLogger('info', stream);
    const write = accessLineWriter(logger)!;
    const fields = {
      reqId: 'req-"quoted"-0001',
      method: 'GET',
      url: '/v1/users?q=%22x%22',
      route: '/v1/users',
      status: 200,
      ms: 1.3,
      ip: '127.0.0.1',
      ua: 'evil"\n{"level":60}\\',
      tenantId: '00000000-0000-0000-0000-000000000001',
    };
    write(fields.reqId, fields.method, fields.url, fields.route, fields.status, fields.ms, fields.ip, fields.ua, fields.tenantId);
    await new Promise((r) => setImmediate(r));
    logger.info(fields, 'request completed');
    expect(lines).toHaveLength(2);
    const [ours, pinos] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(typeof ours!.time).toBe('string');
    expect(new Date(ours!.time as string).toISOString()).toBe(ours!.time);
    expect({ ...ours, time: 'T' }).toEqual({ ...pinos, time: 'T' });
    expect(Object.keys(ours!)).toEqual(Object.keys(pinos!));
  });

  it('leaves out an absent user agent and tenant, and writes nothing above info', () => {
    const { lines, stream } = capture();
    const write = accessLineWriter(createLogger('info', stream))!;
    write('r-00000001', 'GET', '/health/live', '/health/live', 200, 0.2, '::1', undefined, undefined);
    write.close();
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).not.toHaveProperty('ua');
    expect(line).not.toHaveProperty('tenantId');
    expect(accessLineWriter(createLogger('warn', capture().stream))).toBeUndefined();
  });

  it('writes the lines of one event-loop turn in one write, all of them, in order', async () => {
    const { lines, stream } = capture();
    const writes: string[] = [];
    const original = stream.write.bind(stream);
    stream.write = ((chunk: string) => (writes.push(chunk), original(chunk))) as typeof stream.write;
    const write = accessLineWriter(createLogger('info', stream))!;
    for (let i = 0; i < 5; i++) write(`req-000000${i}`, 'GET', '/x', '/x', 200, 1, '::1', undefined, undefined);
    expect(writes).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(1);
    expect(lines.map((l) => (JSON.parse(l) as { reqId: string }).reqId)).toEqual([0, 1, 2, 3, 4].map((i) => `req-000000${i}`));
    write.close();
  });
});
