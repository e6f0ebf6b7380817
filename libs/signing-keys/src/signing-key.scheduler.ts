import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SigningKeyService } from './signing-key.service';

/**
 * Ensures an active key at start-up and runs the rotation schedule on every instance (the
 * advisory lock makes concurrent passes harmless). Off in the CLI (manageKeys: false), whose
 * `migrate` must run before the table exists.
 */
@Injectable()
export class SigningKeyScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SigningKeys');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly keys: SigningKeyService) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.keys.options.manageKeys) return;
    try {
      await this.keys.ensureKeys();
    } catch (err) {
      const missing = (err as { code?: string }).code === '42P01';
      throw new Error(
        missing
          ? 'table signing_keys is missing: run the migrations first (npm run migrate)'
          : `signing keys: ${String(err)}`,
        {
          cause: err,
        },
      );
    }
    // A pass at start-up too: instances restarted more often than the interval still promote on time.
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.keys.options.checkIntervalMs);
    // Never keeps the process alive on its own.
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // Let a pass in flight finish before the database pool closes.
    await this.running;
  }

  private tick(): Promise<void> {
    this.running ??= this.keys
      .runScheduledRotation()
      .then(
        (r) => {
          if (r.promoted)
            this.logger.log(`scheduled promotion: ${r.promoted} is now the active signing key`);
          if (r.created)
            this.logger.log(`scheduled rotation: ${r.created} published as the next signing key`);
        },
        (err: unknown) =>
          this.logger.error(
            `scheduled signing-key rotation failed: ${err instanceof Error ? err.message : String(err)}`,
          ),
      )
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
