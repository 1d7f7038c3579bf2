import { Module } from '@nestjs/common';
import { WeeklyAverageHttpController } from './weekly-average.http.controller.js';
import { WeeklyAverageRepository } from './weekly-average.repository.js';
import { WeeklyAverageService } from './weekly-average.service.js';

@Module({
  controllers: [WeeklyAverageHttpController],
  providers: [WeeklyAverageService, WeeklyAverageRepository],
})
export class TripsModule {}
