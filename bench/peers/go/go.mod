module mnbench/peers

go 1.19
