import { Module } from '@nestjs/common';
import { HealthModule, LoggerModule } from '#common';
import { ConfigModule } from '#config';
import { DbModule } from '#db';
import { KafkaModule } from '#kafka';

@Module({
  imports: [ConfigModule, LoggerModule, DbModule, KafkaModule, HealthModule],
})
export class TransformerModule {}
