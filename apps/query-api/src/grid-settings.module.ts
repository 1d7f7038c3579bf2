import { Global, Module } from '@nestjs/common';
import { GridSettings } from './grid-settings.service.js';

/** One {@link GridSettings} for the process (it caches what it read). */
@Global()
@Module({ providers: [GridSettings], exports: [GridSettings] })
export class GridSettingsModule {}
