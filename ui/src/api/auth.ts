import { http, request } from './http';
import type { Schema } from './schema';
import type { User } from './users';

export type PasswordUpdate = Schema<'PasswordUpdate'>;
export type AuthProviders = Schema<'AuthProviders'>;

export const authApi = {
  login(username: string, password: string): Promise<User> {
    const form = new URLSearchParams({ username, password });
    return request<User>('POST', '/auth/login', form);
  },
  logout: () => http.post<void>('/auth/logout'),
  updatePassword: (current_password: string, new_password: string) =>
    http.post<User>('/auth/update-password', { current_password, new_password } satisfies PasswordUpdate),
  me: () => http.get<User>('/v2/users/me'),
  /** Sign-in methods besides a local password (public: the login page asks before anyone is signed in). */
  providers: () => http.get<AuthProviders>('/auth/providers'),
};
