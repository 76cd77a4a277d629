package rpc

import "reflect"

// ReceiverType is the type registered as "RPCServer".
func ReceiverType() reflect.Type { return reflect.TypeFor[*rpcServer]() }
