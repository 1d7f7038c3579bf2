import { Module } from '@nestjs/common';
import { InsightsHttpController } from './insights.http.controller.js';
import { InsightsRepository } from './insights.repository.js';

@Module({
  controllers: [InsightsHttpController],
  providers: [InsightsRepository],
})
export class InsightsModule {}
