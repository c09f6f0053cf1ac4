/* compiler/objload.c — loading a unit's relocatable ELF object (objload.h).
 *
 * The memory: the executable sections, then a 16-byte jump stub per symbol
 * (a 32-bit call to a C library function lands on its stub), then from the
 * next page the other allocated sections and an 8-byte GOT slot per symbol
 * (GOTPCREL relocations).  The executable part ends read+execute, the rest
 * read-only (read-write when the object has writable sections). */
#include "objload.h"

#include <dlfcn.h>
#include <elf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { OBJ_MAX_ALIGN = 4096, OBJ_STUB = 16, OBJ_MAX_BSS = 1 << 30 };

typedef struct loader {
  const uint8_t *data;
  size_t len;
  const Elf64_Shdr *sh;
  int nsec;
  size_t *off;         /* [nsec] a loaded section's offset in the image */
  bool *loaded;        /* [nsec] */
  const Elf64_Sym *sym;
  size_t nsym;
  const char *names;   /* the symbols' string table */
  size_t names_len;
  uint64_t *addr;      /* [nsym] resolved symbols; 0 for one that is not */
  uint8_t *base;
  size_t stubs_off, got_off;
  char *err;
  size_t errlen;
} loader;

static bool obj_fail(loader *l, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = snprintf(l->err, l->errlen, "cannot load the pack's machine code: ");
  if (n >= 0 && (size_t)n < l->errlen) vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
  va_end(ap);
  return false;
}

/* [off, off + size) lies inside a buffer of len bytes. */
static bool inside(uint64_t off, uint64_t size, uint64_t len) { return off <= len && size <= len - off; }

static const char *sym_name(const loader *l, const Elf64_Sym *s) {
  if (s->st_name >= l->names_len || !memchr(l->names + s->st_name, 0, l->names_len - s->st_name)) return NULL;
  return l->names + s->st_name;
}

static bool read_header(loader *l) {
  const Elf64_Ehdr *h = (const Elf64_Ehdr *)(const void *)l->data;
  if (l->len < sizeof *h || memcmp(h->e_ident, ELFMAG, SELFMAG) != 0 || h->e_ident[EI_CLASS] != ELFCLASS64 ||
      h->e_ident[EI_DATA] != ELFDATA2LSB || h->e_type != ET_REL || h->e_machine != EM_X86_64)
    return obj_fail(l, "not a relocatable x86-64 ELF object");
  if (h->e_shentsize != sizeof(Elf64_Shdr) || h->e_shnum == 0 || h->e_shoff % 8 ||
      !inside(h->e_shoff, (uint64_t)h->e_shnum * sizeof(Elf64_Shdr), l->len))
    return obj_fail(l, "bad section table");
  l->sh = (const Elf64_Shdr *)(const void *)(l->data + h->e_shoff);
  l->nsec = h->e_shnum;
  return true;
}

static bool read_symbols(loader *l) {
  int symtab = -1;
  for (int i = 0; i < l->nsec; i++)
    if (l->sh[i].sh_type == SHT_SYMTAB) {
      if (symtab >= 0) return obj_fail(l, "two symbol tables");
      symtab = i;
    }
  if (symtab < 0) return obj_fail(l, "no symbol table");
  const Elf64_Shdr *s = &l->sh[symtab];
  if (s->sh_entsize != sizeof(Elf64_Sym) || s->sh_offset % 8 || !inside(s->sh_offset, s->sh_size, l->len) ||
      s->sh_link >= (uint32_t)l->nsec || l->sh[s->sh_link].sh_type != SHT_STRTAB ||
      !inside(l->sh[s->sh_link].sh_offset, l->sh[s->sh_link].sh_size, l->len))
    return obj_fail(l, "bad symbol table");
  l->sym = (const Elf64_Sym *)(const void *)(l->data + s->sh_offset);
  l->nsym = s->sh_size / sizeof(Elf64_Sym);
  l->names = (const char *)l->data + l->sh[s->sh_link].sh_offset;
  l->names_len = l->sh[s->sh_link].sh_size;
  return true;
}

/* Each allocated section's offset in the image: the executable ones, the
 * stubs, then from a page boundary the others and the GOT.  Returns the
 * image's size, 0 on failure. */
static size_t lay_out(loader *l, bool *writable) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE), at = 0;
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) {
      l->stubs_off = (at + OBJ_STUB - 1) / OBJ_STUB * OBJ_STUB;
      at = (l->stubs_off + l->nsym * OBJ_STUB + page - 1) / page * page;
    }
    for (int i = 0; i < l->nsec; i++) {
      const Elf64_Shdr *s = &l->sh[i];
      bool exec = (s->sh_flags & SHF_EXECINSTR) != 0;
      if (!(s->sh_flags & SHF_ALLOC) || exec != (pass == 0) || (s->sh_type != SHT_PROGBITS && s->sh_type != SHT_NOBITS))
        continue;
      uint64_t align = s->sh_addralign ? s->sh_addralign : 1;
      if (align & (align - 1) || align > OBJ_MAX_ALIGN) return obj_fail(l, "bad alignment of section %d", i), 0;
      if (s->sh_type == SHT_PROGBITS ? !inside(s->sh_offset, s->sh_size, l->len) : s->sh_size > OBJ_MAX_BSS)
        return obj_fail(l, "section %d is out of bounds", i), 0;
      at = (at + align - 1) / align * align;
      l->off[i] = at;
      l->loaded[i] = true;
      at += s->sh_size;
      *writable |= (s->sh_flags & SHF_WRITE) != 0;
    }
  }
  l->got_off = (at + 7) / 8 * 8;
  return (l->got_off + l->nsym * 8 + page - 1) / page * page;
}

/* l->addr: every symbol's address; a C library function gets a stub too. */
static bool resolve(loader *l) {
  for (size_t i = 1; i < l->nsym; i++) {
    const Elf64_Sym *s = &l->sym[i];
    if (s->st_shndx == SHN_UNDEF) {
      const char *name = sym_name(l, s);
      void *f = name && *name ? dlsym(RTLD_DEFAULT, name) : NULL;
      if (!f) return obj_fail(l, "it calls %s, which this process does not have", name ? name : "?");
      l->addr[i] = (uint64_t)(uintptr_t)f;
      uint8_t *stub = l->base + l->stubs_off + i * OBJ_STUB; /* jmp *0(%rip); .quad f */
      memcpy(stub, "\xff\x25\0\0\0\0", 6);
      memcpy(stub + 6, &l->addr[i], 8);
    } else if (s->st_shndx == SHN_ABS) {
      l->addr[i] = s->st_value;
    } else if (s->st_shndx < l->nsec && l->loaded[s->st_shndx]) {
      if (s->st_value > l->sh[s->st_shndx].sh_size) return obj_fail(l, "symbol %zu is outside its section", i);
      l->addr[i] = (uint64_t)(uintptr_t)(l->base + l->off[s->st_shndx]) + s->st_value;
    } /* else: in a section that is not loaded; an error only if a relocation uses it */
    memcpy(l->base + l->got_off + i * 8, &l->addr[i], 8);
  }
  return true;
}

static bool put32(loader *l, uint8_t *at, int64_t v, bool is_signed) {
  if (is_signed ? v < INT32_MIN || v > INT32_MAX : v < 0 || v > (int64_t)UINT32_MAX) return obj_fail(l, "a 32-bit relocation overflows");
  uint32_t w = (uint32_t)v;
  memcpy(at, &w, 4);
  return true;
}

static bool relocate_section(loader *l, const Elf64_Shdr *rs) {
  uint32_t target = rs->sh_info;
  if (target >= (uint32_t)l->nsec || !l->loaded[target]) return true; /* for a section that is not loaded */
  const Elf64_Shdr *ts = &l->sh[target];
  if (rs->sh_entsize != sizeof(Elf64_Rela) || rs->sh_offset % 8 || !inside(rs->sh_offset, rs->sh_size, l->len) ||
      ts->sh_type != SHT_PROGBITS || rs->sh_link >= (uint32_t)l->nsec || l->sh[rs->sh_link].sh_type != SHT_SYMTAB)
    return obj_fail(l, "bad relocation section");
  const Elf64_Rela *r = (const Elf64_Rela *)(const void *)(l->data + rs->sh_offset);
  size_t n = rs->sh_size / sizeof(Elf64_Rela);
  uint8_t *sec = l->base + l->off[target];
  for (size_t k = 0; k < n; k++) {
    uint32_t type = ELF64_R_TYPE(r[k].r_info);
    uint64_t si = ELF64_R_SYM(r[k].r_info), off = r[k].r_offset;
    unsigned width = type == R_X86_64_64 || type == R_X86_64_PC64 ? 8 : 4;
    if (type == R_X86_64_NONE) continue;
    if (si >= l->nsym || !inside(off, width, ts->sh_size)) return obj_fail(l, "bad relocation %zu", k);
    if (si && !l->addr[si]) return obj_fail(l, "a relocation refers to a section that is not loaded");
    /* unsigned, wrapping arithmetic: a damaged addend cannot overflow */
    uint64_t S = l->addr[si], A = (uint64_t)r[k].r_addend, P = (uint64_t)(uintptr_t)(sec + off);
    bool undefined = si && l->sym[si].st_shndx == SHN_UNDEF;
    uint64_t stub = (uint64_t)(uintptr_t)(l->base + l->stubs_off + si * OBJ_STUB);
    uint64_t got = (uint64_t)(uintptr_t)(l->base + l->got_off + si * 8);
    switch (type) {
    case R_X86_64_64: {
      uint64_t v = S + A;
      memcpy(sec + off, &v, 8);
      break;
    }
    case R_X86_64_PC64: {
      uint64_t v = S + A - P;
      memcpy(sec + off, &v, 8);
      break;
    }
    case R_X86_64_PC32:
    case R_X86_64_PLT32:
      if (!put32(l, sec + off, (int64_t)((undefined ? stub : S) + A - P), true)) return false;
      break;
    case R_X86_64_32:
    case R_X86_64_32S:
      if (!put32(l, sec + off, (int64_t)(S + A), type == R_X86_64_32S)) return false;
      break;
    case R_X86_64_GOTPCREL:
    case R_X86_64_GOTPCRELX:
    case R_X86_64_REX_GOTPCRELX:
      if (!put32(l, sec + off, (int64_t)(got + A - P), true)) return false;
      break;
    default:
      return obj_fail(l, "relocation type %u is not supported", type);
    }
  }
  return true;
}

bool obj_load(const void *data, size_t len, const char *entry, obj_image *img, void **fn, char *err, size_t errlen) {
  *img = (obj_image){0};
  *fn = NULL;
  void *copy = NULL; /* the ELF structures are read in place: 8-aligned */
  if ((uintptr_t)data & 7) {
    if (!(copy = malloc(len + 1))) return snprintf(err, errlen, "out of memory"), false;
    data = memcpy(copy, data, len);
  }
  loader l = {.data = data, .len = len, .err = err, .errlen = errlen};
  if (!read_header(&l) || !read_symbols(&l)) return free(copy), false;
  l.off = calloc((size_t)l.nsec, sizeof *l.off);
  l.loaded = calloc((size_t)l.nsec, sizeof *l.loaded);
  l.addr = calloc(l.nsym + 1, sizeof *l.addr);
  bool writable = false, ok = l.off && l.loaded && l.addr;
  size_t size = ok ? lay_out(&l, &writable) : 0;
  if (!ok) obj_fail(&l, "out of memory");
  ok = size != 0;
  void *mem = ok ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) : MAP_FAILED;
  if (ok && mem == MAP_FAILED) ok = obj_fail(&l, "out of memory");
  if (ok) {
    l.base = mem;
    for (int i = 0; i < l.nsec; i++)
      if (l.loaded[i] && l.sh[i].sh_type == SHT_PROGBITS) memcpy(l.base + l.off[i], l.data + l.sh[i].sh_offset, l.sh[i].sh_size);
    ok = resolve(&l);
    for (int i = 0; ok && i < l.nsec; i++)
      if (l.sh[i].sh_type == SHT_RELA) ok = relocate_section(&l, &l.sh[i]);
      else if (l.sh[i].sh_type == SHT_REL && l.sh[i].sh_info < (uint32_t)l.nsec && l.loaded[l.sh[i].sh_info])
        ok = obj_fail(&l, "relocations without addends (SHT_REL) are not supported");
  }
  for (size_t i = 1; ok && !*fn && i < l.nsym; i++) {
    const char *name = sym_name(&l, &l.sym[i]);
    if (name && strcmp(name, entry) == 0 && ELF64_ST_TYPE(l.sym[i].st_info) == STT_FUNC && l.sym[i].st_shndx < l.nsec &&
        (l.sh[l.sym[i].st_shndx].sh_flags & SHF_EXECINSTR) && l.addr[i])
      *fn = (void *)(uintptr_t)l.addr[i];
  }
  if (ok && !*fn) ok = obj_fail(&l, "it has no function %s", entry);
  size_t page = (size_t)sysconf(_SC_PAGESIZE), code = (l.stubs_off + l.nsym * OBJ_STUB + page - 1) / page * page;
  if (ok && (mprotect(l.base, code, PROT_READ | PROT_EXEC) != 0 ||
             mprotect(l.base + code, size - code, PROT_READ | (writable ? PROT_WRITE : 0)) != 0))
    ok = obj_fail(&l, "cannot make it executable");
  if (ok) *img = (obj_image){mem, size};
  else if (mem != MAP_FAILED) munmap(mem, size);
  if (!ok) *fn = NULL;
  free(l.off);
  free(l.loaded);
  free(l.addr);
  free(copy);
  return ok;
}

void obj_unload(obj_image *img) {
  if (img->mem) munmap(img->mem, img->len);
  *img = (obj_image){0};
}
