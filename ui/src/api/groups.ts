import { http, resource, type ListResponse } from './http';
import type { Schema } from './schema';

export type Group = Schema<'GroupPublic'>;
export type GroupCreate = Schema<'GroupCreate'>;
export type GroupUpdate = Schema<'GroupUpdate'>;
export type GroupMember = Schema<'GroupMemberPublic'>;
export type GroupMemberAdd = Schema<'GroupMemberAdd'>;
export type GroupRole = Schema<'GroupRole'>;

const groups = resource<Group, GroupCreate, GroupUpdate>('/v2/groups');
const members = (id: number) => `${groups.path}/${id}/members`;

export const groupsApi = {
  ...groups,
  members: (id: number) => http.get<ListResponse<GroupMember>>(members(id)).then((r) => r.items),
  addMember: (id: number, body: GroupMemberAdd) => http.post<GroupMember>(members(id), body),
  setRole: (id: number, userId: number, role: GroupRole) =>
    http.put<GroupMember>(`${members(id)}/${userId}`, { role }),
  removeMember: (id: number, userId: number) => http.del(`${members(id)}/${userId}`),
};
