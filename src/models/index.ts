// placeholder until the models issue lands
export {};
