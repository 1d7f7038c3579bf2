import { Module } from '@nestjs/common';
import { DatabaseHealth, HealthModule } from '#common';
import { LoggerModule } from '#logging';
import { ConfigModule } from '#config';
import { DbModule } from '#db';
import { KafkaHealth, KafkaModule } from '#kafka';
import { TransformModule } from './transform/transform.module.js';

@Module({
  imports: [
    ConfigModule.forService('transformer'),
    LoggerModule,
    DbModule,
    KafkaModule,
    HealthModule.forRoot([DatabaseHealth, KafkaHealth]),
    TransformModule,
  ],
})
export class TransformerModule {}
