import { resource } from './http';
import type { GpuMemory } from './workers';

export interface GpuDevice {
  id: string;
  worker_id: number;
  worker_name: string;
  vendor: string;
  name: string;
  index: number;
  memory: GpuMemory;
  core?: { utilization_rate?: number | null } | null;
  temperature?: number | null;
}

export const gpusApi = resource<GpuDevice>('/v2/gpu-devices');
