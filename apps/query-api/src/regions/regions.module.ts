import { Module } from '@nestjs/common';
import { RegionsHttpController } from './regions.http.controller.js';
import { RegionsRepository } from './regions.repository.js';

@Module({
  controllers: [RegionsHttpController],
  providers: [RegionsRepository],
})
export class RegionsModule {}
