import { Module } from '@nestjs/common';
import { HealthModule } from '#common';
import { LoggerModule } from '#logging';
import { ConfigModule } from '#config';
import { DbModule } from '#db';
import { KafkaModule } from '#kafka';
import { IngestionsModule } from './ingestions/ingestions.module.js';

@Module({
  imports: [ConfigModule, LoggerModule, DbModule, KafkaModule, HealthModule, IngestionsModule],
})
export class UploadGatewayModule {}
