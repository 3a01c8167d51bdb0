// A frontend developer's typed usage of the client types openapi-typescript generates from the
// served spec (`schema.d.ts`, written next to this file by tests/spec/test_generators.py).
// Compiled with `tsc --strict --noEmit`; every `@ts-expect-error` line must really be an error,
// so types that decay to `any` or `never` fail the compilation too.
import type { components, operations } from "./schema";

type ApiError = components["schemas"]["Error"];
type ListOk = operations["listCredentials"]["responses"][200]["content"]["application/json"];
type GetOk = operations["getCredential"]["responses"][200]["content"]["application/json"];
type UpdateBody = NonNullable<
  operations["updateCredential"]["requestBody"]
>["content"]["application/json"];
type UpdateOk = operations["updateCredential"]["responses"][200]["content"]["application/json"];
type DeleteOk = operations["deleteCredential"]["responses"][200]["content"]["application/json"];
type NotFound = operations["getCredential"]["responses"][404]["content"]["application/json"];

const base = "http://127.0.0.1:3000";
const headers = { Authorization: "Bearer YOUR_API_KEY", "Content-Type": "application/json" };

async function call<T>(method: string, path: string, body?: UpdateBody): Promise<T> {
  const init: RequestInit = { method, headers };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
  }
  const response = await fetch(base + path, init);
  return (await response.json()) as T;
}

export async function day(): Promise<string[]> {
  const all = await call<ListOk>("GET", "/api/v1/credentials");
  const names: string[] = all.map((c) => `${c.id} ${c.name} ${c.credentialName} ${c.updatedDate}`);

  const one = await call<GetOk>("GET", "/api/v1/credentials/cred-789");
  const apiKey: unknown = one.plainDataObj["openAIApiKey"];
  const workspace: string = one.workspaceId;

  const rename: UpdateBody = { name: "OpenAI Production Key" };
  const renamed = await call<UpdateOk>("PUT", "/api/v1/credentials/cred-789", rename);
  const cipher: string = renamed.encryptedData;

  const values: UpdateBody = {
    plainDataObj: { openAIApiKey: "sk-new-key", nested: { a: 1 }, flag: true, cleared: null },
  };
  values.plainDataObj = { anyKeyAtAll: "any value", another: [1, 2, 3] };
  const updated = await call<UpdateOk>("PUT", "/api/v1/credentials/cred-789", values);

  const deleted = await call<DeleteOk>("DELETE", "/api/v1/credentials/cred-789");
  const affected: number = deleted.affected;

  const missing = await call<NotFound>("GET", "/api/v1/credentials/cred-000");
  const error: ApiError = missing;
  const status: number = error.statusCode;
  const message: string = error.message;
  const success: false = error.success;

  // @ts-expect-error `name` is a string
  const badName: UpdateBody = { name: 42 };
  // @ts-expect-error only `name` and `plainDataObj` may be sent
  const badField: UpdateBody = { credentialName: "openAIApi" };
  // @ts-expect-error a listed credential carries no `encryptedData`
  const leaked: string = all[0]!.encryptedData;
  // @ts-expect-error `plainDataObj` is an object, not a string
  const badData: UpdateBody = { plainDataObj: "sk-..." };

  void [apiKey, badName, badField, leaked, badData];
  return [...names, workspace, cipher, updated.updatedDate, `${affected}`, `${status}`, message,
    `${success}`];
}
