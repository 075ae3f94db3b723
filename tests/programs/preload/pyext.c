/* A real CPython extension module, `import tagsan_pyext`, built with
 * `tagsan cc -shared` and imported by a stock python3 under `tagsan run`. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>

/* tagsan_pyext.sum(n): correct code. */
static PyObject *sum(PyObject *self, PyObject *args) {
  int n;
  if (!PyArg_ParseTuple(args, "i", &n))
    return NULL;
  long *v = malloc(sizeof(long) * (size_t)n);
  long s = 0;
  for (int i = 0; i < n; i++)
    v[i] = i;
  for (int i = 0; i < n; i++)
    s += v[i];
  free(v);
  return PyLong_FromLong(s);
}

/* tagsan_pyext.overflow(n): writes one element past an n-element block. */
static PyObject *overflow(PyObject *self, PyObject *args) {
  int n;
  if (!PyArg_ParseTuple(args, "i", &n))
    return NULL;
  long *v = malloc(sizeof(long) * (size_t)n);
  for (int i = 0; i <= n; i++)
    v[i] = i; // BUG: heap-buffer-overflow at i == n
  long s = v[0];
  free(v);
  return PyLong_FromLong(s);
}

static PyMethodDef methods[] = {
    {"sum", sum, METH_VARARGS, "sum of 0..n-1"},
    {"overflow", overflow, METH_VARARGS, "read past the end"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "tagsan_pyext", NULL, -1, methods};

PyMODINIT_FUNC PyInit_tagsan_pyext(void) { return PyModule_Create(&module); }
