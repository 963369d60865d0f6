// Types of generate.mjs (the benchmark's ruleset generators), for test/bench.test.ts.
/** mulberry32: a small deterministic PRNG, values in [0, 1). */
export declare function rng(seed: number): () => number;
export declare function kube(target: number, seed?: number): string;
export declare function docker(ports: number, seed?: number): string;
export declare function longChain(n: number, seed?: number): string;
export declare function fleet(hosts: number, seed?: number): [string, string][];
export declare function kubePackets(target: number, n: number, seed?: number, packetSeed?: number): string;
