// placeholder until this file's op family lands
export {};
