// Moddable's file module (SDK: typings/file.d.ts; modules/files/file/file.js, lin/modFile.c). On lin the
// files live under config.file.root ("/tmp/" unless the manifest sets it).
declare module "file" {
  export class File {
    /**
     * Open `path`. With `write` true the file is opened read/write ("rb+"), and created ("wb+") when it
     * does not exist; without it, opening a missing file throws "file not found".
     */
    constructor(path: string, write?: boolean);
    /**
     * Read from the current position: `count` bytes (to the end when omitted) as a new ArrayBuffer, or as
     * a string when `type` is String. Throws "read past end of file" at the end.
     */
    read<T extends typeof ArrayBuffer | typeof String>(type: T, count?: number): T extends typeof String ? string : ArrayBuffer;
    /**
     * Write at the current position and flush. Each item is a string, a number (one byte) or an
     * ArrayBuffer (the native code reads an ArrayBuffer, not a view).
     */
    write(...items: (ArrayBuffer | string | number)[]): void;
    close(): void;
    readonly length: number;
    position: number;
    static delete(path: string): boolean;
    static exists(path: string): boolean;
    static rename(from: string, to: string): boolean;
  }

  export class Directory {
    static create(path: string): void;
    static delete(path: string): void;
  }
}
