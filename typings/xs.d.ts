// Globals of the XS engine used by drivers/ (SDK: xs/includes/xs.d.ts).

interface Trace {
  (...log: (string | number | boolean)[]): void;
  left(log: string | ArrayBufferLike, conversation?: string): void;
  center(log: string | ArrayBufferLike, conversation?: string): void;
  right(log: string | ArrayBufferLike, conversation?: string): void;
}
/** Writes to the debugger console (xsbug) or, in the simulator, to standard output. */
declare const trace: Trace;

/** Memory owned by the host (resources, native buffers); viewable like an ArrayBuffer. */
declare class HostBuffer {
  readonly byteLength: number;
  private brand: boolean;
}

interface ArrayBufferTypes {
  HostBuffer: HostBuffer;
}

interface ByteBufferTypes extends ArrayBufferTypes {
  Uint8Array: Uint8Array;
  Uint8ClampedArray: Uint8ClampedArray;
  Int8Array: Int8Array;
  DataView: DataView;
}

type ByteBuffer = ByteBufferTypes[keyof ByteBufferTypes];

interface ObjectConstructor {
  /** XS: a truthy second argument freezes deeply. */
  freeze<T>(obj: T, freeze?: boolean | number): Readonly<T>;
}

/** A class whose instances carry host data released by the named native destructor. */
declare function Native(name: string): new (...args: any[]) => any;
/** The host (C) function of that name, compiled in by xsc. */
declare function native(name: string): (...args: any[]) => any;
