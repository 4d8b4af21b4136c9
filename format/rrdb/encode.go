package rrdb

import "fmt"

// MaxHashKeyLen is the longest hash key Pegasus accepts: pegasus_generate_key
// CHECKs hash_key.length() < UINT16_MAX. The encoders panic on longer ones
// (a bug in the caller, since the server would abort on them); [Encode]
// returns an error instead.
const MaxHashKeyLen = 65534

func checkHashKey(hashKey []byte) {
	if len(hashKey) > MaxHashKeyLen {
		panic(fmt.Sprintf("rrdb: hash key of %d bytes exceeds %d", len(hashKey), MaxHashKeyLen))
	}
}

// encode writes the envelope: one STRUCT-tagged field with fieldID (0 for
// the C++ marshall_thrift_internal form, 1 for the clients' *_args form)
// holding the request, then STOP.
func encode(fieldID int16, body func(w *writer)) []byte {
	w := &writer{}
	w.field(tStruct, fieldID)
	body(w)
	w.stop()
	return w.b
}

// EncodePut encodes an update_request; optional fields are written only
// when non-nil.
func EncodePut(p Put, fieldID int16) []byte {
	return encode(fieldID, func(w *writer) {
		w.field(tStruct, 1)
		w.key(p.HashKey, p.SortKey)
		w.blobField(2, p.Value)
		w.i32Field(3, p.ExpireTsSeconds)
		if p.Type != nil {
			w.i32Field(4, int32(*p.Type))
		}
		if p.CheckValueReturned != nil {
			w.boolField(5, *p.CheckValueReturned)
		}
		if p.CheckValueExist != nil {
			w.boolField(6, *p.CheckValueExist)
		}
		if p.CheckValue != nil {
			w.blobField(7, *p.CheckValue)
		}
		w.stop()
	})
}

// EncodeRemove encodes the bare key blob of a remove.
func EncodeRemove(rm Remove, fieldID int16) []byte {
	return encode(fieldID, func(w *writer) { w.key(rm.HashKey, rm.SortKey) })
}

// EncodeMultiPut encodes a multi_put_request.
func EncodeMultiPut(m MultiPut, fieldID int16) []byte {
	checkHashKey(m.HashKey)
	return encode(fieldID, func(w *writer) {
		w.blobField(1, m.HashKey)
		w.listField(2, len(m.Kvs))
		for _, kv := range m.Kvs {
			w.blobField(1, kv.SortKey)
			w.blobField(2, kv.Value)
			if kv.ExpireTsSeconds != nil {
				w.i32Field(3, *kv.ExpireTsSeconds)
			}
			w.stop()
		}
		w.i32Field(3, m.ExpireTsSeconds)
		w.stop()
	})
}

// EncodeMultiRemove encodes a multi_remove_request.
func EncodeMultiRemove(m MultiRemove, fieldID int16) []byte {
	checkHashKey(m.HashKey)
	return encode(fieldID, func(w *writer) {
		w.blobField(1, m.HashKey)
		w.listField(2, len(m.SortKeys))
		for _, sk := range m.SortKeys {
			w.blob(sk)
		}
		w.i64Field(3, m.MaxCount)
		w.stop()
	})
}

// EncodeIncr encodes an incr_request.
func EncodeIncr(in Incr, fieldID int16) []byte {
	return encode(fieldID, func(w *writer) {
		w.field(tStruct, 1)
		w.key(in.HashKey, in.SortKey)
		w.i64Field(2, in.Increment)
		w.i32Field(3, in.ExpireTsSeconds)
		w.stop()
	})
}

// EncodeCheckAndSet encodes a check_and_set_request.
func EncodeCheckAndSet(c CheckAndSet, fieldID int16) []byte {
	checkHashKey(c.HashKey)
	return encode(fieldID, func(w *writer) {
		w.blobField(1, c.HashKey)
		w.blobField(2, c.CheckSortKey)
		w.i32Field(3, int32(c.CheckType))
		w.blobField(4, c.CheckOperand)
		w.boolField(5, c.SetDiffSortKey)
		w.blobField(6, c.SetSortKey)
		w.blobField(7, c.SetValue)
		w.i32Field(8, c.SetExpireTsSeconds)
		w.boolField(9, c.ReturnCheckValue)
		w.stop()
	})
}

// EncodeCheckAndMutate encodes a check_and_mutate_request.
func EncodeCheckAndMutate(c CheckAndMutate, fieldID int16) []byte {
	checkHashKey(c.HashKey)
	return encode(fieldID, func(w *writer) {
		w.blobField(1, c.HashKey)
		w.blobField(2, c.CheckSortKey)
		w.i32Field(3, int32(c.CheckType))
		w.blobField(4, c.CheckOperand)
		w.listField(5, len(c.MutateList))
		for _, m := range c.MutateList {
			w.i32Field(1, int32(m.Operation))
			w.blobField(2, m.SortKey)
			w.blobField(3, m.Value)
			w.i32Field(4, m.SetExpireTsSeconds)
			w.stop()
		}
		w.boolField(6, c.ReturnCheckValue)
		w.stop()
	})
}

// Encode encodes any decodable request (r must not be a nil pointer). *Empty
// encodes as no data, as Pegasus logs it. Hash keys longer than
// [MaxHashKeyLen] are an error; other types an *UnsupportedError.
func Encode(r Request, fieldID int16) ([]byte, error) {
	var hashKey []byte
	var enc func() []byte
	switch r := r.(type) {
	case *Empty:
		return nil, nil
	case *Put:
		hashKey, enc = r.HashKey, func() []byte { return EncodePut(*r, fieldID) }
	case *Remove:
		hashKey, enc = r.HashKey, func() []byte { return EncodeRemove(*r, fieldID) }
	case *MultiPut:
		hashKey, enc = r.HashKey, func() []byte { return EncodeMultiPut(*r, fieldID) }
	case *MultiRemove:
		hashKey, enc = r.HashKey, func() []byte { return EncodeMultiRemove(*r, fieldID) }
	case *Incr:
		hashKey, enc = r.HashKey, func() []byte { return EncodeIncr(*r, fieldID) }
	case *CheckAndSet:
		hashKey, enc = r.HashKey, func() []byte { return EncodeCheckAndSet(*r, fieldID) }
	case *CheckAndMutate:
		hashKey, enc = r.HashKey, func() []byte { return EncodeCheckAndMutate(*r, fieldID) }
	default:
		code := fmt.Sprintf("%T", r)
		if r != nil {
			code = r.Code()
		}
		return nil, &UnsupportedError{Code: code, SerializationType: SerializationThriftBinary}
	}
	if len(hashKey) > MaxHashKeyLen {
		return nil, fmt.Errorf("rrdb: %s: hash key of %d bytes exceeds %d", r.Code(), len(hashKey), MaxHashKeyLen)
	}
	return enc(), nil
}
