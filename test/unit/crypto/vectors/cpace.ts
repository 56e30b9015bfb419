// Known-answer vectors for CPACE-X25519-SHA512, copied from the project's shared vector set
// (vectors/cpace-x25519-sha512.json) so the tests run without it, plus the draft's own X25519 test
// vectors (draft-irtf-cfrg-cpace, appendix "Test vector for CPace using group X25519 and hash SHA-512").
// All byte strings are hex.

export interface CPaceCase {
  prs: string; ci: string; sid: string; ada: string; adb: string; scalarA: string; scalarB: string;
  generator: string; Ya: string; Yb: string; isk: string; Ta?: string; Tb?: string;
}

/** The shared set: initiator-responder with MCF, every value including the tags. */
export const CPACE_CASES: readonly CPaceCase[] = [
  {
    prs: "3132333435363738",
    ci: "",
    sid: "73656e647370696e2d706169722d70616b652d7631000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00000001",
    ada: "736572766572",
    adb: "636c69656e74",
    scalarA: "0303030303030303030303030303030303030303030303030303030303030303",
    scalarB: "0505050505050505050505050505050505050505050505050505050505050505",
    generator: "79c9392c93ec0f7ae71b5b9c82a7d987a6c77b7769e77f4563bcbb069e31d64f",
    Ya: "5aecc9cf88b52dfaf89e006b944a60a959069570fd2d1693caa0fe316c618e7f",
    Yb: "a75d2ab95f216f8203290778a3976f3bc6808c9fed2791e36f56216f06fcf842",
    isk: "2fd740a770f32ed3b3c375a26fe6fb86164b19cdb4f4f7b20efa2fe88864baeba4f67b42fc43d412f99c73aca9ff84cd20e94e5f2dd0186aa91aef671da5d62e",
    Ta: "79413d5e2703fb0aa3f8b293ce683636a47a4b7ff040246e206fc55caa5322f876b76dc8d063a061d1901e6fc47a86abbc62c7d1197018ecfbb87244f40b31af",
    Tb: "f38a9bf6113c505a76a566fb4a05eef0d37c45d03cc687a29db84f7bb96575f22dedf92682c806de638885cdba630c09b27e2d7db7059dae70b4a8201ceedf46",
  },
  {
    prs: "30303030",
    ci: "",
    sid: "0102",
    ada: "736572766572",
    adb: "636c69656e74",
    scalarA: "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a",
    scalarB: "1010101010101010101010101010101010101010101010101010101010101010",
    generator: "12742287dbbabada18ebb1da01d0269bbbc4e1431a161dc82c93d98c751d236e",
    Ya: "5f854b0ede2cd86a34dacc4305ebabd386c7d14afe3f78045c2a011d0c82c00d",
    Yb: "744c535d8a641ad2d987b5c75ecf464fa16dfd2163b674ff70951be23d7f4d76",
    isk: "21e4e2e171240e7adfaa1ee197b3a2af29d730f9a398110e0bb0f5f0406c29d2891e59342067aaa03f0aa5e6333b062a8e1174454050f484bb5024f6da4ab1fc",
    Ta: "fce4e45bdbca974f7a973bd257b49c6595698fffd0d4e551a3363e5703ef877d1bddb2bdfdfeacd0e431f22c0fe87392b999e75998b96c5f95391b3a9c3d0c15",
    Tb: "7316aef7f4d7c9780a588d4f2988dcea3eeaf8f93d59328a96316ab627238730436ec1c3fd5053c00338f6362b2c2b431665f2a75777f242e8d0083a49fd0bca",
  },
  {
    prs: "7365637265742d70696e2d393837363534333231303132",
    ci: "6368616e6e656c",
    sid: "73737373737373737373737373737373",
    ada: "412d64617461",
    adb: "422d64617461",
    scalarA: "1111111111111111111111111111111111111111111111111111111111111111",
    scalarB: "1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b",
    generator: "f94b2b2fea23b5ab31e929b50fae0fdae7843f2133d7d85816593be9333f1838",
    Ya: "7e24d7d141df96d71dbac192b5dbd26ed800e4c3bb579ee081ea210a49ebe848",
    Yb: "563fa608498d85a728cff3f74116aa869793b9c7aac6d27fa4d8af0474be6e2c",
    isk: "a119efed504c54439c0e40bd029512eb65488b7559737e02f1858ff8aa2e6accca861eb320b43c2ecec225e71bf358f8ec42491fe7a35dc806970f824b4f0d06",
    Ta: "bd651ad634e566dcb2a04f12d25c58b478cf240e8444f9162aaf45bc35f6ea8cf5032db7a27ab53c6065c10471a378e6054451b8812fdf90b6007a5930bdff4f",
    Tb: "21baa124799f899c7ff4971fb37bf3dca8f09dc79df25b5b4bd1b3dcc7277b8f73a30c79d7ffe9812d1136735b46858fcbe2ce5b34ad07288da5a160c2a2d86e",
  },
];

/** The draft's X25519/SHA-512 vector (PRS "Password", CI, sid, ADa "ADa", ADb "ADb"): generator, shares and ISK_IR; no tags (the draft gives none). */
export const DRAFT_CASE: CPaceCase = {
  prs: "50617373776f7264",
  ci: "0b415f696e69746961746f720b425f726573706f6e646572",
  sid: "7e4b4791d6a8ef019b936c79fb7f2c57",
  ada: "414461",
  adb: "414462",
  scalarA: "21b4f4bd9e64ed355c3eb676a28ebedaf6d8f17bdc365995b319097153044080",
  scalarB: "848b0779ff415f0af4ea14df9dd1d3c29ac41d836c7808896c4eba19c51ac40a",
  generator: "d04bf6d41f6a289632a2e929fa29bebd51092512a7829fdde7d314b62f05a73f",
  Ya: "1d13c89278cdadd826f6d8d7f887701430f8380ddc17611cdd6dc989ce0c9f32",
  Yb: "248cccf6d5cdc3646f0ad593f9e6cef4e69d4945f8372e623512ecea32185623",
  isk: "6e19b875f7a561d6b3ca3dbb9ef42ac55de3e717881018204b8922b4d5e53bb2aa82c300bea7b65d2b671da71922ddf6472301b79bc270adfa8bf413285f2263",
};

/** The draft's generator string for DRAFT_CASE (170 bytes: DSI, PRS, 109 zero bytes, CI, sid). */
export const DRAFT_GENERATOR_STRING =
  "0843506163653235350850617373776f72646d" + "00".repeat(109) +
  "180b415f696e69746961746f720b425f726573706f6e646572107e4b4791d6a8ef019b936c79fb7f2c57";

/** Elligator 2 map to Curve25519: r (32 bytes, little-endian) → u-coordinate. */
export const ELLIGATOR2_CASES: readonly { r: string; x: string }[] = [
  { r: "0100000000000000000000000000000000000000000000000000000000000000", x: "9cdb525555555555555555555555555555555555555555555555555555555555" },
  { r: "0200000000000000000000000000000000000000000000000000000000000000", x: "b349328ee3388ee3388ee3388ee3388ee3388ee3388ee3388ee3388ee3388e63" },
  { r: "0500000000000000000000000000000000000000000000000000000000000000", x: "e967a8afafafafafafafafafafafafafafafafafafafafafafafafafafafaf2f" },
  { r: "efcdab9078563412000000000000000000000000000000000000000000000000", x: "25f03fedeb07906bed8a8c5e79c739e37eddcd0b186b511f8ee71a8ff2dc6141" },
  { r: "1100000000000000000000000000000000000000000000000001000000000000", x: "ea11b91ab7aac2eb10dc78fd0585763d8dd33236944e5c42ccc6d438c1788575" },
];

/**
 * The draft's scalar_mult_vfy test: u-coordinates that are low-order points (or would be, if bit 255 were
 * not cleared), the expected X25519(s, u), and whether CPace must abort when a peer sends it.
 */
export const LOW_ORDER_SCALAR = "af46e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449aff";
export const LOW_ORDER_CASES: readonly { name: string; u: string; q: string; abort: boolean }[] = [
  { name: "u0", u: "0000000000000000000000000000000000000000000000000000000000000000", q: "0000000000000000000000000000000000000000000000000000000000000000", abort: true },
  { name: "u1", u: "0100000000000000000000000000000000000000000000000000000000000000", q: "0000000000000000000000000000000000000000000000000000000000000000", abort: true },
  { name: "u2", u: "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", q: "0000000000000000000000000000000000000000000000000000000000000000", abort: true },
  { name: "u3", u: "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", q: "0000000000000000000000000000000000000000000000000000000000000000", abort: true },
  { name: "u4", u: "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", q: "0000000000000000000000000000000000000000000000000000000000000000", abort: true },
  { name: "u5", u: "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", q: "0000000000000000000000000000000000000000000000000000000000000000", abort: true },
  { name: "u6", u: "daffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", q: "d8e2c776bbacd510d09fd9278b7edcd25fc5ae9adfba3b6e040e8d3b71b21806", abort: false },
  { name: "u7", u: "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", q: "0000000000000000000000000000000000000000000000000000000000000000", abort: true },
  { name: "u8", u: "dbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", q: "c85c655ebe8be44ba9c0ffde69f2fe10194458d137f09bbff725ce58803cdb38", abort: false },
  { name: "u9", u: "d9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", q: "db64dafa9b8fdd136914e61461935fe92aa372cb056314e1231bc4ec12417456", abort: false },
  { name: "ua", u: "cdeb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880", q: "e062dcd5376d58297be2618c7498f55baa07d7e03184e8aada20bca28888bf7a", abort: false },
  { name: "ub", u: "4c9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7", q: "993c6ad11c4c29da9a56f7691fd0ff8d732e49de6250b6c2e80003ff4629a175", abort: false },
];
