// placeholder until the data issue lands
export {};
