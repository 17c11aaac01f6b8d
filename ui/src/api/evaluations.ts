import { http } from './http';
import type { ModelSpec } from './models';
import type { Schema } from './schema';

export type EvaluationRequest = Schema<'EvaluationRequest'>;

/** One worker's share of a placement (the server declares the answer as a free-form object). */
export interface Placement {
  worker_name: string;
  gpu_indexes: number[] | null;
  gpu_vendor?: string | null;
  ram: number | null;
  vram: number | Record<string, number> | null;
}

export interface EvaluationResult {
  compatible: boolean;
  message: string;
  placements?: Placement[];
}

export const evaluationsApi = {
  evaluate: (spec: ModelSpec) =>
    http.post<{ results: EvaluationResult[] }>('/v2/model-evaluations', {
      model_specs: [spec],
    } satisfies EvaluationRequest),
};
