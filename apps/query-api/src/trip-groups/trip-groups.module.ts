import { Module } from '@nestjs/common';
import { TripGroupsHttpController } from './trip-groups.http.controller.js';
import { TripGroupsRepository } from './trip-groups.repository.js';

@Module({
  controllers: [TripGroupsHttpController],
  providers: [TripGroupsRepository],
})
export class TripGroupsModule {}
