module switchyard/tools/bench/goproxy

go 1.19
