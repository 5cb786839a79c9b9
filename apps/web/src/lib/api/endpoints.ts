/** One function per REST endpoint the web app uses; the schemas are the contract in `@accord/core`. */
import {
  ApiTokenSchema,
  CreatedTokenSchema,
  ItemSchema,
  MeSchema,
  MemberSchema,
  OkSchema,
  ProjectSchema,
  UserSchema,
  pageOf,
  type ApiToken,
  type Item,
  type Member,
  type Project,
  type ProjectRole,
  type TaskKind,
  type User,
} from '@accord/core';
import type { ApiClient } from './client.ts';

const ProjectPageSchema = pageOf(ProjectSchema);
const UserPageSchema = pageOf(UserSchema);
const ItemPageSchema = pageOf(ItemSchema);
// `{ items: [...] }` lists without paging: the page schema minus its counters.
const MemberListSchema = pageOf(MemberSchema).pick({ items: true });
const TokenListSchema = pageOf(ApiTokenSchema).pick({ items: true });

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}
export type ProjectPage = Page<Project>;
export type UserPage = Page<User>;
export type ItemPage = Page<Item>;
export type { ApiToken, Member };

const enc = encodeURIComponent;

/** The query of a searchable, paged list, sortable by `Sort`. */
interface PagedListParams<Sort extends string> {
  q?: string;
  sort?: Sort;
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

export interface ProjectListParams extends PagedListParams<'name' | 'createdAt' | 'updatedAt'> {
  status?: 'active' | 'archived' | 'all';
}

export interface UserListParams extends PagedListParams<'email' | 'name' | 'createdAt'> {
  status?: 'active' | 'inactive' | 'all';
}

export type ItemListParams = PagedListParams<'createdAt' | 'externalId'>;

export interface MemberListParams {
  role?: ProjectRole;
  sort?: 'name' | 'email' | 'role' | 'addedAt';
  order?: 'asc' | 'desc';
}

export function createEndpoints(api: ApiClient) {
  return {
    auth: {
      me: (signal?: AbortSignal) => api.get('/auth/me', MeSchema, { signal }),
      login: (body: { email: string; password: string }) => api.post('/auth/login', MeSchema, body),
      logout: () => api.post('/auth/logout', OkSchema),
      changePassword: (body: { currentPassword: string; newPassword: string }) => api.post('/auth/password', OkSchema, body),
      tokens: (signal?: AbortSignal) => api.get('/auth/tokens', TokenListSchema, { signal }),
      createToken: (body: { name: string; expiresInDays: number | null }) => api.post('/auth/tokens', CreatedTokenSchema, body),
      revokeToken: (tokenId: string) => api.delete(`/auth/tokens/${enc(tokenId)}`, OkSchema),
    },
    users: {
      list: (query: UserListParams, signal?: AbortSignal) => api.get('/users', UserPageSchema, { query: { ...query }, signal }),
      create: (body: { email: string; name: string; password: string; isAdmin: boolean }) => api.post('/users', UserSchema, body),
      update: (userId: string, body: { name?: string; isAdmin?: boolean; active?: boolean }) =>
        api.patch(`/users/${enc(userId)}`, UserSchema, body),
      resetPassword: (userId: string, password: string) => api.post(`/users/${enc(userId)}/password`, OkSchema, { password }),
    },
    projects: {
      list: (query: ProjectListParams, signal?: AbortSignal) => api.get('/projects', ProjectPageSchema, { query: { ...query }, signal }),
      get: (projectId: string, signal?: AbortSignal) => api.get(`/projects/${enc(projectId)}`, ProjectSchema, { signal }),
      create: (body: { name: string; description: string; taskKind: TaskKind }) => api.post('/projects', ProjectSchema, body),
      update: (projectId: string, body: { name?: string; description?: string; archived?: boolean }) =>
        api.patch(`/projects/${enc(projectId)}`, ProjectSchema, body),
      members: (projectId: string, query: MemberListParams = {}, signal?: AbortSignal) =>
        api.get(`/projects/${enc(projectId)}/members`, MemberListSchema, { query: { ...query }, signal }),
      addMember: (projectId: string, body: { email: string; role: ProjectRole }) =>
        api.post(`/projects/${enc(projectId)}/members`, MemberSchema, body),
      updateMember: (projectId: string, userId: string, body: { role?: ProjectRole; tier?: number; tags?: string[] }) =>
        api.patch(`/projects/${enc(projectId)}/members/${enc(userId)}`, MemberSchema, body),
      removeMember: (projectId: string, userId: string) => api.delete(`/projects/${enc(projectId)}/members/${enc(userId)}`, OkSchema),
      items: (projectId: string, query: ItemListParams, signal?: AbortSignal) =>
        api.get(`/projects/${enc(projectId)}/items`, ItemPageSchema, { query: { ...query }, signal }),
    },
  };
}

export type Endpoints = ReturnType<typeof createEndpoints>;
