// placeholder until the finetune issue lands
export {};
