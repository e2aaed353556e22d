// placeholder until the optim issue lands
export {};
