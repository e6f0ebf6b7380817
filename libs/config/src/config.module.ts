import { DynamicModule, Global, Inject, Module } from '@nestjs/common';
import { TesseraConfig } from './config';

export const TESSERA_CONFIG = Symbol('TESSERA_CONFIG');

/** Injects the validated configuration: `constructor(@InjectConfig() config: TesseraConfig)`. */
export const InjectConfig = (): ParameterDecorator => Inject(TESSERA_CONFIG);

@Global()
@Module({})
export class ConfigModule {
  /** The configuration is loaded (and validated) by the caller before the app is built. */
  static forRoot(config: TesseraConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: TESSERA_CONFIG, useValue: Object.freeze(config) }],
      exports: [TESSERA_CONFIG],
    };
  }
}
