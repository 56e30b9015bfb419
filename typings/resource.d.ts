// Moddable `Resource` (SDK: typings/Resource.d.ts; modules/files/resource): read-only data built into
// the firmware (manifest `data`/`resources`), as a host buffer.
declare module "Resource" {
  interface ResourcePrototype extends HostBuffer {
    slice(begin: number, end?: number): ArrayBuffer;
    slice(begin: number, end?: number, copy?: boolean): HostBuffer;
  }
  export interface ResourceConstructor {
    new (path: string): ResourcePrototype;
    exists(path: string): boolean;
  }
  const Resource: ResourceConstructor;
  export { Resource as default };
}
