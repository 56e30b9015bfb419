// The manifest's `config` section, deep-frozen (SDK: typings/mc/config.d.ts; tools/mcconfig.js).
// Values given on the mcconfig command line arrive as strings.
declare module "mc/config" {
  var Config: { file: { root: string } } & Record<string, any>;
  export { Config as default };
}
