import { Module, type DynamicModule } from '@nestjs/common';
import type { LedgerConfig } from './ledger.config.js';
import { LedgerHttpController } from './ledger/ledger.http.controller.js';
import { LedgerMessageController } from './ledger/ledger.message.controller.js';
import { LedgerRepository } from './ledger/ledger.repository.js';
import { LEDGER_CONFIG } from './ledger.tokens.js';

@Module({})
export class LedgerAppModule {
  static forRoot(config: LedgerConfig): DynamicModule {
    return {
      module: LedgerAppModule,
      controllers: [LedgerMessageController, LedgerHttpController],
      providers: [{ provide: LEDGER_CONFIG, useValue: config }, LedgerRepository],
    };
  }
}
