/**
 * The Swagger 1.2 documents of the resources served (res_ari's rest-api/api-docs),
 * written from the operation tables in rest.ts: `resources.json` lists one document
 * per family, each document gives its operations (`httpMethod`, `nickname`,
 * `responseClass`, `parameters` with `paramType`) and its models. `basePath` is the
 * address the client used, as Asterisk writes it.
 */
import type { Operation, ResourceFamily } from "./rest.js";

export const ARI_API_VERSION = "10.0.0";

export function resourcesDocument(families: readonly ResourceFamily[], basePath: string): unknown {
  return {
    _copyright: "Recall",
    apiVersion: ARI_API_VERSION,
    swaggerVersion: "1.2",
    basePath,
    apis: families.map((f) => ({ path: `/api-docs/${f.name}.{format}`, description: f.description })),
  };
}

function operationDoc(op: Operation): unknown {
  return {
    httpMethod: op.method,
    summary: op.summary,
    nickname: op.nickname,
    responseClass: op.responseClass,
    parameters: op.params.map((p) => ({
      name: p.name,
      ...(p.description ? { description: p.description } : {}),
      paramType: p.paramType,
      required: p.required === true,
      allowMultiple: p.allowMultiple === true,
      dataType: p.allowMultiple ? "string" : p.dataType === "containers" || p.dataType === "object" ? "containers" : p.dataType,
      ...(p.defaultValue !== undefined ? { defaultValue: p.defaultValue } : {}),
      ...(p.allowed ? { allowableValues: { valueType: "LIST", values: p.allowed } } : {}),
    })),
    ...(op.errors?.length ? { errorResponses: op.errors } : {}),
  };
}

export function familyDocument(family: ResourceFamily, basePath: string): unknown {
  const byPath = new Map<string, Operation[]>();
  for (const op of family.operations) byPath.set(op.path, [...(byPath.get(op.path) ?? []), op]);
  return {
    _copyright: "Recall",
    apiVersion: ARI_API_VERSION,
    swaggerVersion: "1.2",
    basePath,
    resourcePath: `/api-docs/${family.name}.{format}`,
    ...(family.name === "events" ? { requiresModules: ["res_http_websocket"] } : {}),
    apis: [...byPath].map(([path, ops]) => ({ path, description: family.description, operations: ops.map(operationDoc) })),
    models: Object.fromEntries((family.models ?? []).map((m) => [m.id, m])),
  };
}
