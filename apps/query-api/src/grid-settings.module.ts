import { Global, Module } from '@nestjs/common';
import { GridSettingsService } from './grid-settings.service.js';

/** One {@link GridSettingsService} for the process (it caches what it read). */
@Global()
@Module({ providers: [GridSettingsService], exports: [GridSettingsService] })
export class GridSettingsModule {}
