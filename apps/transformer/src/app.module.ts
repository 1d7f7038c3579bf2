import { Module } from '@nestjs/common';
import { HealthModule, LoggerModule } from '#common';
import { ConfigModule } from '#config';
import { DbModule } from '#db';
import { KafkaModule } from '#kafka';
import { TransformModule } from './transform/transform.module.js';

@Module({
  imports: [ConfigModule, LoggerModule, DbModule, KafkaModule, HealthModule, TransformModule],
})
export class TransformerModule {}
