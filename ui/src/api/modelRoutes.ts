import { resource } from './http';
import type { Schema } from './schema';

export type ModelRoute = Schema<'ModelRoutePublic'>;
export type ModelRouteCreate = Schema<'ModelRouteCreate'>;
export type ModelRouteUpdate = Schema<'ModelRouteUpdate'>;
export type RouteTarget = Schema<'RouteTarget'>;
export type RouteFallback = Schema<'RouteFallback'>;
export type FailureKind = Schema<'FailureKind'>;

export const modelRoutesApi = resource<ModelRoute, ModelRouteCreate, ModelRouteUpdate>('/v2/model-routes');
