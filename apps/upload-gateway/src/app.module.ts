import { Module } from '@nestjs/common';
import { DatabaseHealth, HealthModule } from '#common';
import { LoggerModule } from '#logging';
import { ConfigModule } from '#config';
import { DbModule } from '#db';
import { KafkaHealth, KafkaModule } from '#kafka';
import { IngestionsModule } from './ingestions/ingestions.module.js';

@Module({
  imports: [
    ConfigModule.forService('upload-gateway'),
    LoggerModule,
    DbModule,
    KafkaModule,
    HealthModule.forRoot([DatabaseHealth, KafkaHealth]),
    IngestionsModule,
  ],
})
export class UploadGatewayModule {}
