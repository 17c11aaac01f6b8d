import { resource } from './http';
import type { Schema } from './schema';

export type Provider = Schema<'ProviderPublic'>;
export type ProviderCreate = Schema<'ProviderCreate'>;
export type ProviderUpdate = Schema<'ProviderUpdate'>;

export const providersApi = resource<Provider, ProviderCreate, ProviderUpdate>('/v2/providers');
